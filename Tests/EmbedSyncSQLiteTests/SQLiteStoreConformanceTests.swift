import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import GRDB
import Synchronization
import Testing

/// A SQLite file per case with `docs(id INTEGER PRIMARY KEY, title TEXT)`.
struct SQLiteHarness: StoreConformanceHarness {
    var name: String { "SQLite" }
    var supportsSQLFilter: Bool { true }

    func withFixture(rows: [Int64: String], _ body: (any StoreConformanceFixture) async throws -> Void) async throws {
        let folder = try TestFiles.makeFolder("embedsync-conformance")
        let path = folder.appendingPathComponent("app.db").path
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT)")
            for (id, title) in rows { try db.execute(sql: "INSERT INTO docs VALUES (?, ?)", arguments: [id, title]) }
        }
        try queue.close()
        let fixture = try SQLiteFixture(folder: folder, path: path)
        do {
            try await body(fixture)
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}

final class SQLiteFixture: StoreConformanceFixture {
    let folder: URL
    let path: String
    let sqlite: SQLiteStore
    let opened = Mutex<[SQLiteStore]>([])

    init(folder: URL, path: String) throws {
        self.folder = folder
        self.path = path
        sqlite = try SQLiteStore(.init(path: path, source: .table("docs")))
    }

    var store: any SearchableStore { sqlite }

    func openAnother() async throws -> any SearchableStore {
        let store = try SQLiteStore(.init(path: path, source: .table("docs")))
        opened.withLock { $0.append(store) }
        return store
    }

    func setTitle(_ id: Int64, _ title: String) async throws {
        try write(
            "INSERT INTO docs (id, title) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title",
            [id, title])
    }

    func deleteRow(_ id: Int64) async throws {
        try write("DELETE FROM docs WHERE id = ?", [id])
    }

    private func write(_ sql: String, _ arguments: StatementArguments) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: sql, arguments: arguments) }
        try queue.close()
    }

    func tearDown() async {
        await sqlite.close()
        for store in opened.withLock({ $0 }) { await store.close() }
        try? FileManager.default.removeItem(at: folder)
    }
}

@Suite("SQLiteStore keeps the store contract")
struct SQLiteStoreConformanceTests {
    @Test(arguments: StoreConformance.cases)
    func conformance(_ check: StoreConformance.Case) async throws {
        try await check.run(SQLiteHarness())
    }
}
