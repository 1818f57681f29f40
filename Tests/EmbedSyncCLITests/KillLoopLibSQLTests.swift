import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import Testing

/// The kill loop of ``KillLoopTests`` against sqld: 40 SIGKILLs through one backfill, then one run. libSQL claims lapse
/// with their lease (2 s here), so each round also waits for the rows the previous round died holding.
@Suite("embedsync binary on libSQL: a kill loop", .enabled(if: TestLibSQL.shouldRun))
struct KillLoopLibSQLTests {
    @Test("40 SIGKILLs through one backfill, then a run: every row once with its own text's vector")
    func libSQL() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: KillAndResumeTests.binary.path),
            "run `swift build` before `swift test`")
        let rows = 2000
        let table = try await TestLibSQL.makeProducts(rows: rows)
        var cli = try await CLIHarness.make(rows: 1, latency: 0.05)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        let url = try #require(TestLibSQL.url)
        let arguments = [
            "run", "--database", url, "--table", table, "--provider", "openai-compatible", "--model", "fake-embed",
            "--dimensions", "16", "--base-url", cli.server.baseURL, "--api-key-env", "TEST_PROVIDER_KEY",
            "--template", "{{name}}", "--batch-size", "\(KillLoopTests.batch)",
            "--concurrency", "\(KillLoopTests.concurrency)", "--claim-lease", "2", "--quiet",
        ]
        let client = try TestLibSQL.client()
        let midBackfill = try await KillLoopTests.killLoop(
            arguments: arguments, environment: cli.environment, server: cli.server
        ) {
            let result = try? await client.execute(HranaStatement("SELECT count(*) FROM \(table)_embeddings"))
            return Int(result?.rows.first?.first?.int ?? 0)
        }
        #expect(midBackfill == KillLoopTests.kills, "every kill lands mid-backfill (\(midBackfill))")
        let final = await cli.run(Array(arguments.dropLast()) + ["--json"])
        #expect(final.status == 0, "\(final.stderr)")

        let counts = try await client.execute(
            HranaStatement("SELECT count(*), count(DISTINCT id) FROM \(table)_embeddings"))
        #expect(counts.rows.first?.first?.int == Int64(rows))
        #expect(counts.rows.first?.last?.int == Int64(rows))
        var wrong = 0
        let stored = try await client.execute(HranaStatement("SELECT id, text, embedding FROM \(table)_embeddings"))
        for row in stored.rows {
            guard row.count == 3, let id = row[0].int, case .text(let text) = row[1], case .blob(let bytes) = row[2]
            else {
                wrong += 1
                continue
            }
            let vector = VectorCodec.decode(bytes) ?? []
            if text != "Product \(id)" || vector != FakeProviderServer.vector(for: text, dimensions: 16) { wrong += 1 }
        }
        #expect(wrong == 0, "\(wrong) rows hold another text or another text's vector")
        let rebilled = cli.server.stats.inputsEmbedded - rows
        #expect(
            rebilled <= KillLoopTests.kills * KillLoopTests.concurrency * KillLoopTests.batch,
            "re-billed \(rebilled) inputs")
        print(
            "kill loop (libSQL): \(KillLoopTests.kills) kills, \(midBackfill) mid-backfill, 0 rows lost, "
                + "re-billed \(rebilled)")
        _ = try await client.batch([
            HranaStatement("DROP TABLE \(table)"), HranaStatement("DROP TABLE \(table)_embeddings"),
        ])
        try await cli.shutdown()
    }
}
