import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncTesting
import Foundation
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
