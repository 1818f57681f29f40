import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import GRDB

/// A SQLite file with an `articles` table of `count` rows, in a fresh temporary folder.
struct ArticlesDatabase {
    let folder: URL
    let path: String

    init(count: Int) throws {
        folder = try TestFiles.makeFolder("embedsync-sqlite")
        path = folder.appendingPathComponent("app.db").path
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: "CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, genre TEXT)")
            for id in 1...count {
                try db.execute(
                    sql: "INSERT INTO articles VALUES (?, ?, ?, ?)",
                    arguments: [id, "Title \(id)", "Body of article \(id)", id % 3 == 0 ? "news" : nil])
            }
        }
        try queue.close()
    }

    func store(target: TargetSpec = .table(nil), readOnly: Bool = false) throws -> SQLiteStore {
        try SQLiteStore(.init(path: path, source: .table("articles"), target: target, readOnly: readOnly))
    }

    func execute(_ sql: String, _ arguments: StatementArguments = []) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: sql, arguments: arguments) }
        try queue.close()
    }

    func scalar(_ sql: String) throws -> Int {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try Int.fetchOne($0, sql: sql) ?? -1 }
    }

    func vectors() throws -> [Int64: [Float]] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var result: [Int64: [Float]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, embedding FROM articles_embeddings") {
                result[row["id"]] = VectorCodec.decode(row["embedding"]) ?? []
            }
            return result
        }
    }

    /// Every table's rows, as text, to compare "before" and "after".
    func dump() throws -> String {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var text = ""
            for table in try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            {
                text += "\(table):\n"
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\" ORDER BY 1") { text += "\(row)\n" }
            }
            return text
        }
    }

    static let template = "Title: {{title}}\n{{#genre}}Genre: {{genre}}{{/genre}}\n{{body}}"
}
