import EmbedSyncCore
import Foundation
import Testing

@testable import EmbedSyncLibSQL

@Suite("Hrana /v3/cursor")
struct HranaCursorTests {
    @Test("lines split across chunks, empty lines skipped, a partial line held until its newline")
    func lines() {
        var lines = CursorLines()
        lines.append(Array("{\"a\":1}\n{\"b\"".utf8))
        #expect(lines.next().map { String(decoding: $0, as: UTF8.self) } == "{\"a\":1}")
        #expect(lines.next() == nil)
        lines.append(Array(":2}\n\n{\"c\":3}\n".utf8))
        #expect(lines.next().map { String(decoding: $0, as: UTF8.self) } == "{\"b\":2}")
        #expect(lines.next().map { String(decoding: $0, as: UTF8.self) } == "{\"c\":3}")
        #expect(lines.next() == nil)
    }

    @Test(
        "a cursor streams 2,000 × 1536-d vectors that one pipeline refuses as over 10 MB",
        .enabled(if: LibSQLTestServer.shouldRun))
    func streamsPastTheLimit() async throws {
        let client = try LibSQLTestServer.client()
        let table = LibSQLTestServer.uniqueName("cursor")
        _ = try await client.batch([
            HranaStatement("CREATE TABLE \(table) (id INTEGER PRIMARY KEY, v BLOB)"),
            HranaStatement(
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2000) "
                    + "INSERT INTO \(table) SELECT n, randomblob(6144) FROM g"),
        ])
        let select = HranaStatement("SELECT id, v FROM \(table) ORDER BY id")
        await #expect(throws: EmbedSyncError.self) { _ = try await client.execute(select) }
        var count = 0
        var last: Int64 = 0
        var sizes = Set<Int>()
        let streamed = try await client.cursor(select, timeout: .seconds(120)) { row in
            count += 1
            last = row[0].int ?? -1
            sizes.insert(row[1].data?.count ?? -1)
        }
        #expect(streamed)
        #expect(count == 2000)
        #expect(last == 2000)
        #expect(sizes == [6144])
        await #expect(throws: EmbedSyncError.self) {
            _ = try await client.cursor(HranaStatement("SELECT * FROM no_such_table_here"), timeout: .seconds(30)) {
                _ in
            }
        }
        _ = try await client.batch([HranaStatement("DROP TABLE \(table)")])
    }
}
