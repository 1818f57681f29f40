import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncTesting
import Foundation
import GRDB
import Testing

@testable import EmbedSyncCLI

/// Rows in PostgreSQL, vectors and bookkeeping in sqld (`--target-database`).
@Suite(
    "embedsync CLI: PostgreSQL rows, libSQL vectors", .enabled(if: TestPostgres.shouldRun && TestLibSQL.shouldRun))
struct CLICrossDatabaseTests {
    @Test(
        """
        doctor passes, run, rerun with no calls, an edit made stale and re-embedded, a delete pruned; nothing written \
        to PostgreSQL
        """
    )
    func postgresRowsLibSQLVectors() async throws {
        let postgres = try #require(TestPostgres.url)
        let libsql = try #require(TestLibSQL.url)
        let table = "notes_\(UUID().uuidString.prefix(8).lowercased())"
        try await CLIPostgresTests().execute("CREATE TABLE \(table) (id bigint PRIMARY KEY, body text NOT NULL)")
        try await CLIPostgresTests().execute(
            "INSERT INTO \(table) SELECT g, 'Note number ' || g FROM generate_series(1, 40) g")
        var cli = try await CLIHarness.make(rows: 1)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        let flags = [
            "--database", postgres, "--table", table, "--target-database", libsql, "--provider",
            "openai-compatible", "--model", "fake-embed", "--dimensions", "16", "--base-url", cli.server.baseURL,
            "--api-key-env", "TEST_PROVIDER_KEY", "--template", "{{body}}",
        ]
        let doctor = await cli.run(["doctor"] + flags + ["--json"])
        #expect(doctor.status == 0, "\(doctor.stdout)")
        let checks = try DoctorTests.checks(doctor)
        #expect(checks["database"]?.detail.hasPrefix("rows from PostgreSQL (read only), vectors to libSQL") == true)
        #expect(checks["disk"]?.status == "skip")
        DoctorTests.expectNoKey(doctor, [CLIHarness.canaryKey, TestLibSQL.token("rw")])
        let run = await cli.run(["run"] + flags + ["--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["embedded"]?.int == 40)
        #expect(try await cli.run(["run"] + flags + ["--json"]).json()["requests"]?.int == 0)
        try await CLIPostgresTests().execute("UPDATE \(table) SET body = 'Edited' WHERE id = 2")
        try await CLIPostgresTests().execute("DELETE FROM \(table) WHERE id = 3")
        let fresh = try await cli.run(["run"] + flags + ["--json"]).json()
        #expect(fresh["embedded"]?.int == 1)
        #expect(fresh["pruned"]?.int == 1)
        let search = await cli.run(["search", "Note number 17"] + flags + ["--json", "-k", "1"])
        #expect(try search.json()["results"]?.array?.first?["id"]?.int == 17, "\(search.stderr)")
        // No vectors in PostgreSQL: the target table exists only in sqld.
        try await CLIPostgresTests().execute(
            """
            DO $$ BEGIN IF to_regclass('\(table)_embeddings') IS NOT NULL
            THEN RAISE EXCEPTION 'EmbedSync wrote to the source database'; END IF; END $$
            """)
        try await CLIPostgresTests().execute("DROP TABLE \(table)")
        _ = try await TestLibSQL.client().batch([HranaStatement("DROP TABLE \(table)_embeddings")])
        try await cli.shutdown()
    }
}

/// Rows in sqld, vectors and bookkeeping in a SQLite file or in PostgreSQL (`--target-database`).
@Suite("embedsync CLI: libSQL rows, vectors elsewhere", .enabled(if: TestLibSQL.shouldRun))
struct CLILibSQLSourceTests {
    /// What the source holds: its schema and every row, to check that nothing was written there.
    static func snapshot(_ table: String) async throws -> String {
        let client = try TestLibSQL.client()
        let schema = try await client.execute(
            HranaStatement(
                "SELECT name, sql FROM sqlite_master WHERE tbl_name LIKE ? ORDER BY name", [.text(table + "%")]))
        let rows = try await client.execute(HranaStatement("SELECT * FROM \(table) ORDER BY id"))
        return "\(schema.rows)\n\(rows.rows)"
    }

    /// The whole flow with rows in sqld and the vectors in `targetURL`; `stored` counts the target's vectors.
    func flow(target targetURL: String, cli: CLIHarness, stored: (String) async throws -> Int) async throws {
        let url = try #require(TestLibSQL.url)
        let table = try await TestLibSQL.makeProducts(rows: 60)
        let flags = [
            "--database", url, "--table", table, "--target-database", targetURL, "--provider", "openai-compatible",
            "--model", "fake-embed", "--dimensions", "16", "--base-url", cli.server.baseURL, "--api-key-env",
            "TEST_PROVIDER_KEY", "--template", "Name: {{name}}\n{{description}}",
        ]
        let before = try await Self.snapshot(table)
        let estimate = await cli.run(["estimate"] + flags + ["--json"])
        #expect(estimate.status == 0, "\(estimate.stderr)")
        #expect(try estimate.json()["rows_selected"]?.int == 60)
        let run = await cli.run(["run"] + flags + ["--json", "--batch-size", "16"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["embedded"]?.int == 60)
        #expect(try await cli.run(["run"] + flags + ["--json"]).json()["requests"]?.int == 0)
        #expect(try await Self.snapshot(table) == before, "the source is never written")
        #expect(try await stored(table) == 60)

        _ = try await TestLibSQL.client().batch([
            HranaStatement("UPDATE \(table) SET name = 'Renamed' WHERE id = 3"),
            HranaStatement("DELETE FROM \(table) WHERE id = 4"),
        ])
        let status = try await cli.run(["status"] + flags + ["--json"]).json()
        #expect(status["stale"]?.int == 1)
        #expect(status["orphaned"]?.int == 1)
        let fresh = try await cli.run(["run"] + flags + ["--json"]).json()
        #expect(fresh["embedded"]?.int == 1)
        #expect(fresh["pruned"]?.int == 1)
        #expect(try await stored(table) == 59)
        let after = try await Self.snapshot(table)
        let search = await cli.run(["search", "Name: Product 13\nA fine product number 13 for everyday use"] + flags)
        #expect(search.status == 0, "\(search.stderr)")
        let hits =
            try await cli.run(
                ["search", "Name: Product 13\nA fine product number 13 for everyday use"] + flags + [
                    "--json", "-k", "2",
                ]
            ).json()["results"]?.array ?? []
        #expect(hits.first?["id"]?.int == 13)
        #expect(hits.first?["text"]?.string?.hasPrefix("Name: Product 13") == true)
        #expect(try await Self.snapshot(table) == after, "search and status only read the source")
        let leftovers = try await TestLibSQL.client().execute(
            HranaStatement(
                "SELECT count(*) FROM sqlite_master WHERE name = ?", [.text("\(table)_embeddings")]))
        #expect(leftovers.rows.first?.first?.int == 0, "no vectors in the source database")
        _ = try await TestLibSQL.client().batch([HranaStatement("DROP TABLE \(table)")])
    }

    @Test("sqld rows, SQLite vectors: a file made on the first run, staleness and pruning across the two")
    func libSQLRowsSQLiteVectors() async throws {
        var cli = try await CLIHarness.make(rows: 1)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        let path = cli.folder.appendingPathComponent("vectors.db").path
        try await flow(target: path, cli: cli) { table in
            let queue = try DatabaseQueue(path: path)
            defer { try? queue.close() }
            return try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)_embeddings") }
                ?? -1
        }
        try await cli.shutdown()
    }

    @Test("sqld rows, PostgreSQL vectors: staleness and pruning across the two", .enabled(if: TestPostgres.shouldRun))
    func libSQLRowsPostgresVectors() async throws {
        let postgres = try #require(TestPostgres.url)
        var cli = try await CLIHarness.make(rows: 1)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        var tables: [String] = []
        try await flow(target: postgres, cli: cli) { table in
            tables.append(table)
            let rows = try await CLIPostgresTests.query("SELECT count(*) FROM \(table)_embeddings")
            return Int(try rows.first?.decode(Int64.self) ?? -1)
        }
        for table in Set(tables) { try await CLIPostgresTests().execute("DROP TABLE \(table)_embeddings") }
        try await cli.shutdown()
    }
}
