import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncPostgres

/// A schema of its own per case with `docs(id bigint PRIMARY KEY, title text)`.
struct PostgresHarness: StoreConformanceHarness {
    var name: String { "PostgreSQL" }
    var supportsSQLFilter: Bool { true }

    func withFixture(rows: [Int64: String], _ body: (any StoreConformanceFixture) async throws -> Void) async throws {
        try await TestDatabase.with { database in
            try await database.execute("CREATE TABLE \(database.sql("docs")) (id bigint PRIMARY KEY, title text)")
            for (id, title) in rows {
                try await database.connection.query(
                    "INSERT INTO \(unescaped: database.sql("docs")) VALUES (\(id), \(title))",
                    logger: TestDatabase.logger)
            }
            let store = try await database.store(source: .table(database.name("docs")))
            try await body(PostgresFixture(database: database, postgres: store))
        }
    }
}

struct PostgresFixture: StoreConformanceFixture {
    let database: TestDatabase
    let postgres: PostgresStore

    var store: any SearchableStore { postgres }

    func openAnother() async throws -> any SearchableStore {
        try await database.store(source: .table(database.name("docs")))
    }

    func setTitle(_ id: Int64, _ title: String) async throws {
        try await database.connection.query(
            """
            INSERT INTO \(unescaped: database.sql("docs")) VALUES (\(id), \(title)) ON CONFLICT (id) DO UPDATE SET \
            title = excluded.title
            """,
            logger: TestDatabase.logger)
    }

    func deleteRow(_ id: Int64) async throws {
        try await database.connection.query(
            "DELETE FROM \(unescaped: database.sql("docs")) WHERE id = \(id)", logger: TestDatabase.logger)
    }
}

@Suite("PostgresStore keeps the store contract", .enabled(if: PostgresTestEnvironment.shouldRun))
struct PostgresStoreConformanceTests {
    @Test(arguments: StoreConformance.cases)
    func conformance(_ check: StoreConformance.Case) async throws {
        try await check.run(PostgresHarness())
    }
}
