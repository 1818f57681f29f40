import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncLibSQL

/// A table of its own per case on the test sqld: `docs_<random>(id INTEGER PRIMARY KEY, title TEXT)`.
struct LibSQLHarness: StoreConformanceHarness {
    var name: String { "libSQL" }
    var supportsSQLFilter: Bool { true }

    func withFixture(rows: [Int64: String], _ body: (any StoreConformanceFixture) async throws -> Void) async throws {
        let table = LibSQLTestServer.uniqueName("docs")
        let admin = try LibSQLTestServer.client()
        var statements = [HranaStatement("CREATE TABLE \(table) (id INTEGER PRIMARY KEY, title TEXT)")]
        for (id, title) in rows {
            statements.append(HranaStatement("INSERT INTO \(table) VALUES (?, ?)", [.integer(id), .text(title)]))
        }
        _ = try await admin.batch(statements)
        let fixture = LibSQLFixture(
            table: table, admin: admin, libsql: try await LibSQLTestServer.store(source: .table(table)))
        do {
            try await body(fixture)
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }
}

struct LibSQLFixture: StoreConformanceFixture {
    let table: String
    let admin: HranaClient
    let libsql: LibSQLStore

    var store: any SearchableStore { libsql }

    func openAnother() async throws -> any SearchableStore {
        try await LibSQLTestServer.store(source: .table(table))
    }

    func setTitle(_ id: Int64, _ title: String) async throws {
        _ = try await admin.batch([
            HranaStatement(
                "INSERT INTO \(table) (id, title) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title",
                [.integer(id), .text(title)])
        ])
    }

    func deleteRow(_ id: Int64) async throws {
        _ = try await admin.batch([HranaStatement("DELETE FROM \(table) WHERE id = ?", [.integer(id)])])
    }

    func tearDown() async {
        _ = try? await admin.batch([
            HranaStatement("DROP TABLE IF EXISTS \(table)"),
            HranaStatement("DROP TABLE IF EXISTS \(table)_embeddings"),
        ])
    }
}

@Suite("LibSQLStore keeps the store contract", .enabled(if: LibSQLTestServer.shouldRun))
struct LibSQLStoreConformanceTests {
    @Test(arguments: StoreConformance.cases)
    func conformance(_ check: StoreConformance.Case) async throws {
        try await check.run(LibSQLHarness())
    }
}
