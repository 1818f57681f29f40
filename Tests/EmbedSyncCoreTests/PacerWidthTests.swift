import EmbedSyncCore
import EmbedSyncTesting
import Testing

@Suite("Pacer width (Little's law)")
struct PacerWidthTests {
    @Test("the first request goes alone; then, unpaced, the configured concurrency holds")
    func unpaced() async {
        let clock = TestClock()
        let free = Pacer(requestsPerMinute: nil, tokensPerMinute: nil, clock: clock)
        #expect(await free.inFlightLimit(unpaced: 4, ceiling: 64) == 1)
        await free.record(latency: 2, tokens: 10)
        #expect(await free.inFlightLimit(unpaced: 4, ceiling: 64) == 4)
        #expect(await free.inFlightLimit(unpaced: 4, ceiling: 2) == 2)
        let paced = Pacer(requestsPerMinute: 600, tokensPerMinute: nil, clock: clock)
        #expect(await paced.inFlightLimit(unpaced: 4, ceiling: 64) == 1)
    }

    @Test("without probing (the local model), an unpaced run opens at the configured concurrency")
    func withoutProbing() async {
        let clock = TestClock()
        let free = Pacer(requestsPerMinute: nil, tokensPerMinute: nil, clock: clock)
        #expect(await free.inFlightLimit(unpaced: 4, ceiling: 64, probing: false) == 4)
        #expect(await free.inFlightLimit(unpaced: 4, ceiling: 3, probing: false) == 3)
        // A rate still needs a measured latency before it can size the width.
        let paced = Pacer(requestsPerMinute: 600, tokensPerMinute: nil, clock: clock)
        #expect(await paced.inFlightLimit(unpaced: 4, ceiling: 64, probing: false) == 1)
    }

    struct WidthCase: Sendable {
        var requestsPerMinute: Int?
        var tokensPerMinute: Int?
        var latency: Double
        var tokensPerRequest: Int
        var ceiling: Int
        var width: Int
    }

    @Test(
        "paced, the width is rate × latency with a quarter of headroom, plus one, within the ceiling",
        arguments: [
            // 10/s × 0.3 s = 3 → 3.75 → 4, + 1
            WidthCase(requestsPerMinute: 600, latency: 0.3, tokensPerRequest: 10, ceiling: 64, width: 5),
            // 100/s × 1 s → 126, capped
            WidthCase(requestsPerMinute: 6000, latency: 1, tokensPerRequest: 10, ceiling: 64, width: 64),
            // the user's --concurrency caps it
            WidthCase(requestsPerMinute: 6000, latency: 1, tokensPerRequest: 10, ceiling: 8, width: 8),
            // slower than the default 4: fewer rows held in flight
            WidthCase(requestsPerMinute: 60, latency: 0.3, tokensPerRequest: 10, ceiling: 64, width: 2),
            // 1000 tokens/s ÷ 250 = 4/s × 2 s = 8 → 10, + 1
            WidthCase(tokensPerMinute: 60_000, latency: 2, tokensPerRequest: 250, ceiling: 64, width: 11),
            // the token limit is the tighter one
            WidthCase(
                requestsPerMinute: 600, tokensPerMinute: 60_000, latency: 2, tokensPerRequest: 250, ceiling: 64,
                width: 11),
        ])
    func littlesLaw(_ example: WidthCase) async {
        let pacer = Pacer(
            requestsPerMinute: example.requestsPerMinute, tokensPerMinute: example.tokensPerMinute, clock: TestClock())
        await pacer.record(latency: example.latency, tokens: example.tokensPerRequest)
        #expect(await pacer.inFlightLimit(unpaced: 4, ceiling: example.ceiling) == example.width)
    }

    @Test("latency is a moving average, so one slow request does not double the width")
    func movingAverage() async {
        let pacer = Pacer(requestsPerMinute: 600, tokensPerMinute: nil, clock: TestClock())
        for _ in 0..<10 { await pacer.record(latency: 0.3, tokens: 10) }
        await pacer.record(latency: 3, tokens: 10)
        let latency = await pacer.averageLatency ?? 0
        #expect(abs(latency - 0.84) < 1e-9)
    }

    @Test("with a token limit, requests are packed to a quarter second's tokens, or one request's share")
    func packing() throws {
        let template = try TextTemplate("{{name}}")
        let limits = ProviderLimits.openAI
        #expect(RunConfiguration(template: template).maxTokensPerRequest(for: limits) == 300_000)
        #expect(
            RunConfiguration(template: template, tokensPerMinute: 60_000).maxTokensPerRequest(for: limits) == 250)
        #expect(
            RunConfiguration(template: template, requestsPerMinute: 100, tokensPerMinute: 60_000)
                .maxTokensPerRequest(for: limits) == 600)
        #expect(
            RunConfiguration(template: template, tokensPerMinute: 600_000_000).maxTokensPerRequest(for: limits)
                == 300_000)
    }
}
