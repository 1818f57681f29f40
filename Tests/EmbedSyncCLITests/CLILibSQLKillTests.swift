import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `embedsync` binary killed mid-run against sqld, then rerun.
@Suite("embedsync binary on libSQL: SIGKILL and resume", .enabled(if: TestLibSQL.shouldRun))
struct CLILibSQLKillTests {
    @Test("a run killed mid-way and rerun stores every row once; the killed run's claims expire after the lease")
    func killAndResume() async throws {
        let binary = KillAndResumeTests.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "run `swift build` before the tests")
        let table = try await TestLibSQL.makeProducts(rows: 200)
        var cli = try await CLIHarness.make(rows: 1)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        let url = try #require(TestLibSQL.url)
        let arguments = [
            "run", "--database", url, "--table", table, "--provider", "openai-compatible", "--model", "fake-embed",
            "--dimensions", "16", "--base-url", cli.server.baseURL, "--api-key-env", "TEST_PROVIDER_KEY",
            "--template", "{{name}} {{description}}", "--batch-size", "10", "--concurrency", "2", "--quiet",
            "--claim-lease", "2",
        ]
        let client = try TestLibSQL.client()
        func stored() async -> Int64 {
            let result = try? await client.execute(HranaStatement("SELECT count(*) FROM \(table)_embeddings"))
            return result?.rows.first?.first?.int ?? -1
        }

        cli.server.closeGate(after: 6)
        let process = try KillAndResumeTests().start(arguments, cli)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, await stored() != 60 || cli.server.heldRequests != 2 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(await stored() == 60, "6 batches committed before the kill")
        kill(process.processIdentifier, SIGKILL)
        await process.exited()
        cli.server.openGate()
        #expect(process.terminationReason == .uncaughtSignal)

        try await Task.sleep(for: .seconds(2.5))
        let rerun = try KillAndResumeTests().start(arguments, cli)
        await rerun.exited()
        #expect(rerun.terminationStatus == 0)
        #expect(await stored() == 200)
        let stats = cli.server.stats
        #expect(stats.inputsEmbedded <= 200 + 2 * 10, "provider saw \(stats.inputsEmbedded) inputs for 200 rows")
        _ = try await client.batch([
            HranaStatement("DROP TABLE \(table)"), HranaStatement("DROP TABLE \(table)_embeddings"),
        ])
        try await cli.shutdown()
    }
}
