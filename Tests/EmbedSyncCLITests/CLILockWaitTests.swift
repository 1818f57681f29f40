import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

/// On SQLite runs take turns; a plain run waits for the one holding the table, for `--wait` seconds at most.
@Suite("embedsync run --wait on SQLite")
struct CLILockWaitTests {
    @Test("a run that waits past --wait gives up with status 4, writes nothing and says why; later runs go on")
    func waitsThenGivesUp() async throws {
        let cli = try await CLIHarness.make(rows: 40)
        // The first run's first batch is answered, its second waits at the gate while the second run starts.
        cli.server.closeGate(after: 1)
        async let first = cli.run(["run"] + cli.providerFlags + ["--json", "--batch-size", "10", "--concurrency", "1"])
        try await waitUntil("the first run committed a batch and waits for the next") {
            try cli.scalar("SELECT count(*) FROM products_embeddings") == 10 && cli.server.heldRequests == 1
        }
        let runsBefore = try cli.scalar("SELECT count(*) FROM embedsync_runs")
        let second = await cli.run(["run"] + cli.providerFlags + ["--json", "--wait", "1"])
        #expect(second.status == ExitStatus.stopped.rawValue, "\(second.stderr)")
        // With --json the error is the one object on stdout.
        let error = try second.json()["error"]
        #expect(error?["code"]?.string == "stopped")
        #expect(error?["message"]?.string?.contains("still holds this table after 1.0s of waiting (--wait)") == true)
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == 10)
        #expect(try cli.scalar("SELECT count(*) FROM embedsync_runs") == runsBefore)
        #expect(cli.server.heldRequests == 1, "the second run called the provider")
        cli.server.openGate()
        #expect(try await first.json()["embedded"]?.int == 40)
        // With the table free, a run that may not wait at all goes on.
        let third = await cli.run(["run"] + cli.providerFlags + ["--json", "--wait", "0"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try third.json()["selected"]?.int == 0)
        try await cli.shutdown()
    }

    @Test("--wait must be a non-negative number of seconds; nothing is written otherwise")
    func badWait() async throws {
        let cli = try await CLIHarness.make(rows: 2)
        let before = try cli.dump()
        let bad = await cli.run(["run"] + cli.providerFlags + ["--wait=-3"])
        #expect(bad.status == ExitStatus.usage.rawValue)
        #expect(bad.stderr.contains("--wait must be a non-negative number"), "\(bad.stderr)")
        #expect(try cli.dump() == before)
        try await cli.shutdown()
    }
}
