import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

/// The network between EmbedSync and the provider breaks (EmbedSyncTesting's FaultProxy): every case ends in bounded
/// time, with a retry that completes the run or a clear error, and nothing half-written.
@Suite("embedsync run: provider network faults", .timeLimit(.minutes(5)))
struct ProviderFaultTests {
    struct Setup {
        let cli: CLIHarness
        let proxy: FaultProxy
        /// The harness's source and provider flags, with the proxy as the base URL.
        let provider: [String]
        var flags: [String] { ["run"] + provider + ["--json", "--batch-size", "10"] }

        static func make(rows: Int = 30) async throws -> Setup {
            let cli = try await CLIHarness.make(rows: rows)
            let proxy = try await FaultProxy.start(upstreamPort: cli.server.port)
            let url = "http://127.0.0.1:\(proxy.port)/v1"
            return Setup(
                cli: cli, proxy: proxy, provider: cli.providerFlags.map { $0 == cli.server.baseURL ? url : $0 })
        }

        func stored() throws -> Int { try cli.scalar("SELECT count(*) FROM products_embeddings") }

        func shutdown() async throws {
            try await proxy.shutdown()
            try await cli.shutdown()
        }
    }

    @Test("a connection reset in the middle of a response is retried; every row stored once")
    func resetMidBody() async throws {
        let setup = try await Setup.make()
        setup.proxy.enqueue(.resetAfter(bytes: 200), .resetAfter(bytes: 20))
        let run = await setup.cli.run(setup.flags + ["--concurrency", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["embedded"]?.int == 30)
        #expect(try setup.stored() == 30)
        #expect(setup.proxy.connections >= 3, "the reset connections were replaced")
        try await setup.shutdown()
    }

    @Test("a provider that accepts and never answers: --request-timeout ends the attempt, the retry goes through")
    func blackHoleOnce() async throws {
        let setup = try await Setup.make()
        setup.proxy.enqueue(.blackHole)
        let started = Date()
        let run = await setup.cli.run(setup.flags + ["--concurrency", "1", "--request-timeout", "2"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try setup.stored() == 30)
        #expect(Date().timeIntervalSince(started) < 120)
        try await setup.shutdown()
    }

    @Test("a provider that never answers at all: the rows fail with a timeout after the retries, in bounded time")
    func blackHoleAlways() async throws {
        let setup = try await Setup.make(rows: 10)
        setup.proxy.setDefault(.blackHole)
        let run = await setup.cli.run(setup.flags + ["--request-timeout", "1", "--max-retries", "1"])
        #expect(run.status == ExitStatus.rowsFailed.rawValue, "\(run.stderr)")
        let summary = try run.json()
        #expect(summary["failed"]?.int == 10)
        #expect(try setup.stored() == 0)
        let failures = try await setup.cli.run(["status"] + setup.provider + ["--failures", "--json"])
        #expect(failures.stdout.contains("timed out"), "\(failures.stdout)")
        try await setup.shutdown()
    }

    @Test("an answer that arrives a few bytes at a time is cut by --request-timeout and retried")
    func slowDrip() async throws {
        let setup = try await Setup.make(rows: 10)
        // 4 bytes every half second: the ~2 KB answer would take minutes.
        setup.proxy.enqueue(.slowDrip(bytes: 4, interval: 0.5))
        let started = Date()
        let run = await setup.cli.run(setup.flags + ["--request-timeout", "2"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try setup.stored() == 10)
        #expect(Date().timeIntervalSince(started) < 120, "the slow answer was waited out instead of cut")
        try await setup.shutdown()
    }

    @Test("a refused port: a clear 'cannot reach' error with status 3 after the retries; nothing written")
    func refused() async throws {
        let setup = try await Setup.make(rows: 5)
        let before = try setup.cli.dump()
        try await setup.proxy.refuse()
        let run = await setup.cli.run(setup.flags + ["--max-retries", "1"])
        #expect(run.status == ExitStatus.fatal.rawValue, "\(run.stderr)")
        #expect(run.stderr.contains("cannot reach"), "\(run.stderr)")
        #expect(!run.stderr.contains(CLIHarness.canaryKey))
        #expect(try setup.cli.dump() == before)
        try await setup.shutdown()
    }
}
