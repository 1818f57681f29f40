import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import EmbedSyncCLI

/// The CLI against a real PostgreSQL with pgvector (`EMBEDSYNC_TEST_POSTGRES_URL`; `make test` starts one).
/// Without the variable the suite is skipped on a developer machine and fails in CI.
enum TestPostgres {
    static var url: String? {
        ProcessInfo.processInfo.environment["EMBEDSYNC_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }
    static var shouldRun: Bool { url != nil || ProcessInfo.processInfo.environment["CI"] != nil }
}

@Suite("embedsync CLI on PostgreSQL", .enabled(if: TestPostgres.shouldRun))
struct CLIPostgresTests {
    static var url: String? { TestPostgres.url }

    /// Runs SQL on the test server, in its database or in `database`.
    func execute(_ sql: String, database: String? = nil) async throws {
        _ = try await Self.query(sql, database: database)
    }

    /// Runs SQL on the test server (in its database or in `database`) and returns its rows.
    static func query(_ sql: String, database: String? = nil) async throws -> [PostgresRow] {
        let url = try #require(Self.url, "EMBEDSYNC_TEST_POSTGRES_URL is not set: run the tests with `make test`.")
        let components = try #require(URLComponents(string: url))
        let configuration = PostgresConnection.Configuration(
            host: components.host ?? "127.0.0.1", port: components.port ?? 5432,
            username: components.user ?? "postgres",
            password: components.password, database: database ?? String(components.path.dropFirst()), tls: .disable)
        let connection = try await PostgresConnection.connect(
            configuration: configuration, id: 1, logger: Logger(label: "test"))
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test"))
                .collect()
            try await connection.close()
            return rows
        } catch {
            try? await connection.close()
            throw error
        }
    }

    @Test("a Supabase-like pages table in column mode: run, rerun, status, search, index, exclusive")
    func columnMode() async throws {
        let url = try #require(Self.url, "EMBEDSYNC_TEST_POSTGRES_URL is not set: run the tests with `make test`.")
        let table = "pages_\(UUID().uuidString.prefix(8).lowercased())"
        try await execute("CREATE EXTENSION IF NOT EXISTS vector")
        try await execute(
            "CREATE TABLE \(table) (id bigserial PRIMARY KEY, title text NOT NULL, body text, embedding vector(16))")
        try await execute(
            """
            INSERT INTO \(table) (title, body) SELECT 'Page ' || g, 'Body of page ' || g FROM generate_series(1, 120) \
            g
            """
        )
        let cli = try await CLIHarness.make(rows: 1)
        let flags = [
            "--database", url, "--table", table, "--target-column", "embedding", "--provider", "openai-compatible",
            "--model", "fake-embed", "--dimensions", "16", "--base-url", cli.server.baseURL, "--api-key-env",
            "TEST_PROVIDER_KEY",
            "--template", "{{title}}\n{{body}}",
        ]
        let estimate = try await cli.run(["estimate"] + flags + ["--json"]).json()
        #expect(estimate["rows_selected"]?.int == 120)
        #expect(cli.server.stats.requests == 0)

        let run = await cli.run(["run"] + flags + ["--json", "--batch-size", "25"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["embedded"]?.int == 120)
        let requests = cli.server.stats.requests
        #expect(try await cli.run(["run"] + flags + ["--json"]).json()["embedded"]?.int == 0)
        #expect(cli.server.stats.requests == requests)

        let status = try await cli.run(["status"] + flags + ["--json"]).json()
        #expect(status["embedded"]?.int == 120)
        #expect(status["missing"]?.int == 0)

        let search = await cli.run(["search", "Page 7\nBody of page 7"] + flags + ["--json", "-k", "3"])
        #expect(search.status == 0, "\(search.stderr)")
        let results = try search.json()["results"]?.array ?? []
        #expect(results.count == 3)
        #expect(results.first?["id"]?.int == 7)
        #expect(abs((results.first?["score"]?.number ?? 0) - 1) < 1e-5)

        #expect(await cli.run(["index", "create"] + flags).status == 0)
        #expect(await cli.run(["index", "drop"] + flags).status == 0)
        try await execute("DROP TABLE \(table) CASCADE")
        try await cli.shutdown()
    }

    @Test("a missing table is a usage error with status 2")
    func missingTable() async throws {
        let url = try #require(Self.url, "EMBEDSYNC_TEST_POSTGRES_URL is not set: run the tests with `make test`.")
        let cli = try await CLIHarness.make(rows: 1)
        let result = await cli.run(
            ["run", "--database", url, "--table", "no_such_table_here"] + Array(cli.providerFlags.dropFirst(4)))
        #expect(result.status == 2, "\(result.stderr)")
        try await cli.shutdown()
    }
}
