import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

/// The kill loop of ``KillLoopTests`` on PostgreSQL: 40 SIGKILLs through one backfill, then one run that completes at
/// once (a killed worker's claims die with its connections; nothing waits out a lease).
@Suite("embedsync binary on PostgreSQL: a kill loop", .enabled(if: TestPostgres.shouldRun))
struct KillLoopPostgresTests {
    @Test("40 SIGKILLs through one backfill, then a run: every row once with its own text's vector, no lease waited")
    func postgres() async throws {
        let url = try #require(
            TestPostgres.url, "EMBEDSYNC_TEST_POSTGRES_URL is not set: run the tests with `make test`.")
        try #require(
            FileManager.default.isExecutableFile(atPath: KillAndResumeTests.binary.path),
            "run `swift build` before `swift test`")
        let table = "kills_\(UUID().uuidString.prefix(8).lowercased())"
        let sql = CLIPostgresTests()
        try await sql.execute("CREATE TABLE \(table) (id bigint PRIMARY KEY, title text NOT NULL)")
        try await sql.execute(
            "INSERT INTO \(table) SELECT g, 'Item number ' || g FROM generate_series(1, \(KillLoopTests.rows)) g")
        let cli = try await CLIHarness.make(rows: 1, latency: 0.05)
        let arguments = [
            "run", "--database", url, "--table", table, "--provider", "openai-compatible", "--model", "fake-embed",
            "--dimensions", "16", "--base-url", cli.server.baseURL, "--api-key-env", "TEST_PROVIDER_KEY",
            "--template", "{{title}}", "--batch-size", "\(KillLoopTests.batch)",
            "--concurrency", "\(KillLoopTests.concurrency)", "--quiet",
        ]
        let target = "\(table)_embeddings"
        let midBackfill = try await KillLoopTests.killLoop(
            arguments: arguments, environment: cli.environment, server: cli.server
        ) {
            let exists = try await CLIPostgresTests.query("SELECT to_regclass('\(target)') IS NOT NULL")
            guard try exists.first?.decode(Bool.self) == true else { return 0 }
            return try await CLIPostgresTests.query("SELECT count(*)::int FROM \(target)").first?.decode(Int.self) ?? 0
        }
        #expect(midBackfill == KillLoopTests.kills, "every kill lands mid-backfill (\(midBackfill))")
        let started = Date()
        let final = await cli.run(Array(arguments.dropLast()) + ["--json"])
        #expect(final.status == 0, "\(final.stderr)")
        #expect(Date().timeIntervalSince(started) < 100, "the final run waited out dead workers' 120 s leases")

        let counts = try await CLIPostgresTests.query("SELECT count(*)::int, count(DISTINCT id)::int FROM \(target)")
        let (count, distinct) = try counts.first?.decode((Int, Int).self) ?? (0, 0)
        #expect(count == KillLoopTests.rows)
        #expect(distinct == KillLoopTests.rows)
        var wrong = 0
        for row in try await CLIPostgresTests.query("SELECT id::int, text, embedding::text FROM \(target)") {
            let (id, text, literal) = try row.decode((Int, String, String).self)
            let vector = literal.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",")
                .compactMap { Float($0) }
            let expected = FakeProviderServer.vector(for: text, dimensions: 16)
            if text != "Item number \(id)" || vector.count != 16
                || zip(vector, expected).contains(where: { abs($0 - $1) > 1e-6 })
            {
                wrong += 1
            }
        }
        #expect(wrong == 0, "\(wrong) rows hold another text or another text's vector")
        let claimsLeft = try await CLIPostgresTests.query(
            "SELECT count(*)::int FROM embedsync_claims WHERE target = '\(target)'")
        #expect(try claimsLeft.first?.decode(Int.self) == 0)
        let rebilled = cli.server.stats.inputsEmbedded - KillLoopTests.rows
        #expect(
            rebilled <= KillLoopTests.kills * KillLoopTests.concurrency * KillLoopTests.batch,
            "re-billed \(rebilled) inputs")
        print(
            "kill loop (PostgreSQL): \(KillLoopTests.kills) kills, \(midBackfill) mid-backfill, 0 rows lost, "
                + "re-billed \(rebilled)")
        try await sql.execute("DROP TABLE \(table) CASCADE")
        try await cli.shutdown()
    }
}
