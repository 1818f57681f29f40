import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

/// Runs through the CLI against the fake provider 100 ms away, measuring the pace where the provider sees it.
///
/// Only upper bounds are asserted: a loaded machine can make a run slower, never faster, than its limits. Five
/// requests of slack cover arrivals bunched by an event loop stalled for up to half a second (the fake provider and
/// the client share this process). The old token buckets started full and sent these 60 requests in well under a
/// second — three times the bound — so each test fails on a burst.
@Suite("embedsync run paces requests to rate limits")
struct CLIRateLimitTests {
    /// The most requests and tokens the provider saw in any 2 s.
    func busiestWindow(_ server: FakeProviderServer) -> (requests: Double, tokens: Double) {
        let arrivals = server.stats.arrivals
        return (arrivals.maximum(over: 2) { _ in 1 }, arrivals.maximum(over: 2) { Double($0.tokens) })
    }

    @Test("--requests-per-minute and --tokens-per-minute hold over 2 s windows, from the first request")
    func configuredLimits() async throws {
        let cli = try await CLIHarness.make(rows: 60, latency: 0.1)
        let run = await cli.run(
            ["run"] + cli.providerFlags + [
                "--json", "--batch-size", "1", "--requests-per-minute", "600", "--tokens-per-minute", "6000",
            ])
        try await cli.shutdown()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["embedded"]?.int == 60)
        let arrivals = cli.server.stats.arrivals
        #expect(arrivals.count == 60)
        let largest = Double(arrivals.map(\.tokens).max() ?? 0)
        let busiest = busiestWindow(cli.server)
        // 600 a minute is 20 requests in 2 s; 6000 tokens a minute is 200 tokens.
        #expect(busiest.requests <= 20 * 1.05 + 5, "\(busiest.requests) requests in 2 s")
        #expect(busiest.tokens <= 200 * 1.05 + 5 * largest, "\(busiest.tokens) tokens in 2 s")
    }

    @Test("without flags, the limits the provider reports in x-ratelimit headers pace the run")
    func reportedLimits() async throws {
        let cli = try await CLIHarness.make(rows: 60, latency: 0.1, rateLimits: .init(requestsPerMinute: 600))
        let run = await cli.run(["run"] + cli.providerFlags + ["--json", "--batch-size", "1"])
        try await cli.shutdown()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["embedded"]?.int == 60)
        #expect(cli.server.stats.arrivals.count == 60)
        let busiest = busiestWindow(cli.server)
        #expect(busiest.requests <= 20 * 1.05 + 5, "\(busiest.requests) requests in 2 s")
    }
}
