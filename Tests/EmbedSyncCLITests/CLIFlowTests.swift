import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

@Suite("embedsync CLI flow")
struct CLIFlowTests {
    @Test(
        "estimate makes no call and writes nothing; run embeds all; rerun makes no call; edits and deletes are tracked")
    func wholeFlow() async throws {
        let cli = try await CLIHarness.make(rows: 300)
        let before = try cli.dump()
        let estimate = await cli.run(["estimate"] + cli.providerFlags + ["--json"])
        #expect(estimate.status == 0, "\(estimate.stderr)")
        let estimated = try estimate.json()
        #expect(estimated["rows_total"]?.int == 300)
        #expect(estimated["rows_selected"]?.int == 300)
        #expect(estimated["missing"]?.int == 300)
        #expect(estimated["tokens_exact"] == .bool(false))
        #expect(cli.server.stats.requests == 0)
        #expect(try cli.dump() == before)

        let run = await cli.run(["run"] + cli.providerFlags + ["--json", "--batch-size", "64"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try run.json()
        #expect(summary["embedded"]?.int == 300)
        #expect(summary["failed"]?.int == 0)
        #expect(summary["requests"]?.int == 5)
        #expect(summary["tokens"]?.int == cli.server.stats.tokensBilled)
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == 300)

        let requestsBefore = cli.server.stats.requests
        let rerun = await cli.run(["run"] + cli.providerFlags + ["--json"])
        #expect(rerun.status == 0)
        #expect(try rerun.json()["embedded"]?.int == 0)
        #expect(cli.server.stats.requests == requestsBefore)

        try cli.execute("UPDATE products SET description = 'changed ' || id WHERE id BETWEEN 11 AND 20")
        try cli.execute("DELETE FROM products WHERE id > 295")
        cli.server.resetStats()
        let status = try await cli.run(["status"] + cli.providerFlags + ["--json"]).json()
        #expect(status["stale"]?.int == 10)
        #expect(status["orphaned"]?.int == 5)
        let third = try await cli.run(["run"] + cli.providerFlags + ["--json"]).json()
        #expect(third["embedded"]?.int == 10)
        #expect(cli.server.stats.inputsEmbedded == 10)
        #expect(third["pruned"]?.int == 5)
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == 295)
        try await cli.shutdown()
    }

    @Test("with --json stdout holds exactly one JSON object")
    func jsonOnly() async throws {
        let cli = try await CLIHarness.make(rows: 20)
        let run = await cli.run(["run"] + cli.providerFlags + ["--json"])
        #expect(run.stdout.split(separator: "\n").count == 1)
        #expect(throws: Never.self) { try run.json() }
        try await cli.shutdown()
    }

    @Test("faults: 429 with Retry-After, a poisoned row, NaN, wrong dimensions, a cut body, an error in a 200")
    func faults() async throws {
        let cli = try await CLIHarness.make(rows: 60)
        try cli.execute("UPDATE products SET description = 'POISON pill' WHERE id = 7")
        try cli.execute("UPDATE products SET description = 'NAN! row' WHERE id = 23")
        try cli.execute("UPDATE products SET description = 'WRONGDIM row' WHERE id = 42")
        cli.server.enqueue(
            .status(429, retryAfter: "1"), .cutBody, .errorIn200(code: nil, message: "upstream"), .status(500))
        let run = await cli.run(["run"] + cli.providerFlags + ["--json", "--batch-size", "20", "--concurrency", "1"])
        #expect(run.status == ExitStatus.rowsFailed.rawValue, "\(run.stderr)")
        let summary = try run.json()
        #expect(summary["embedded"]?.int == 57)
        #expect(summary["failed"]?.int == 3)
        let failed = Set(summary["failed_ids"]?.array?.compactMap(\.int) ?? [])
        #expect(failed == [7, 23, 42])
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == 57)
        #expect(try cli.scalar("SELECT count(*) FROM embedsync_failures") == 3)
        let failures = try await cli.run(["status"] + cli.providerFlags + ["--failures", "--json"]).json()
        #expect(failures["failed"]?.int == 3)
        #expect(failures["failures"]?.array?.count == 3)
        try await cli.shutdown()
    }

    @Test("--max-cost stops with status 4 and the next run resumes")
    func maxCost() async throws {
        let cli = try await CLIHarness.make(rows: 100)
        let price = ["--batch-size", "10", "--concurrency", "1"]
        let stopped = await cli.run(
            ["run"] + cli.providerFlags + price + ["--json", "--max-cost", "0.0002"],
            environment: ["EMBEDSYNC_PRICE_PER_MILLION": "1"])
        #expect(stopped.status == ExitStatus.stopped.rawValue, "\(stopped.stderr)")
        let partial = try stopped.json()["embedded"]?.int ?? -1
        #expect(partial > 0 && partial < 100)
        let resumed = try await cli.run(["run"] + cli.providerFlags + ["--json"]).json()
        #expect(resumed["embedded"]?.int == 100 - partial)
        try await cli.shutdown()
    }

    @Test("two --exclusive runs at once: exactly one works, the other reports embedded 0")
    func exclusive() async throws {
        let cli = try await CLIHarness.make(rows: 40)
        // The first run's first batch is answered, its second waits at the gate while the second run starts.
        cli.server.closeGate(after: 1)
        async let first = cli.run(
            ["run"] + cli.providerFlags + ["--json", "--exclusive", "--batch-size", "10", "--concurrency", "1"])
        try await waitUntil("the first run committed a batch and waits for the next") {
            try cli.scalar("SELECT count(*) FROM products_embeddings") == 10 && cli.server.heldRequests == 1
        }
        let second = await cli.run(["run"] + cli.providerFlags + ["--json", "--exclusive"])
        cli.server.openGate()
        let firstResult = await first
        #expect(try firstResult.json()["embedded"]?.int == 40)
        #expect(second.status == 0)
        #expect(try second.json()["embedded"]?.int == 0)
        #expect(try second.json()["status"]?.string == "busy")
        try await cli.shutdown()
    }
}
