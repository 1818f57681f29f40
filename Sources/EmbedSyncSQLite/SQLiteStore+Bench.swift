import Foundation
import GRDB

extension SQLiteStore {
    /// Creates `items(id, body)` with `rows` rows in a new file, for the write benchmark.
    @_spi(Benchmark) public static func createBenchSource(path: String, rows: Int) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, body TEXT)")
            for id in 1...max(1, rows) {
                try db.execute(sql: "INSERT OR IGNORE INTO items VALUES (?, ?)", arguments: [id, "row \(id)"])
            }
        }
        try queue.close()
    }
}
