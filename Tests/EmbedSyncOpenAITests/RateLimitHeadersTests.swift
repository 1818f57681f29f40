import EmbedSyncCore
import EmbedSyncOpenAI
import EmbedSyncTesting
import NIOHTTP1
import Testing

@Suite("OpenAI rate-limit headers")
struct RateLimitHeadersTests {
    @Test(
        "reset durations are read as Go writes them",
        arguments: [
            ("1s", 1.0), ("6m0s", 360), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("150us", 0.000_15), ("0s", 0),
            ("2.5", 2.5), ("  7m30s ", 450),
        ])
    func durations(_ text: String, _ seconds: Double) {
        let parsed = RateLimitHeaders.seconds(fromDuration: text)
        #expect(parsed.map { abs($0 - seconds) < 1e-9 } == true, "\(text) read as \(String(describing: parsed))")
    }

    @Test("unreadable durations are nil", arguments: ["", "s", "5x", "-1s", "1.2.3s", "ms5"])
    func badDurations(_ text: String) {
        #expect(RateLimitHeaders.seconds(fromDuration: text) == nil)
    }

    @Test("the six headers become a hint; missing or unreadable ones stay nil")
    func hint() {
        let headers = HTTPHeaders([
            ("x-ratelimit-limit-requests", "3000"), ("x-ratelimit-remaining-requests", "2999"),
            ("x-ratelimit-reset-requests", "20ms"), ("X-RateLimit-Limit-Tokens", "1000000"),
            ("x-ratelimit-remaining-tokens", "999,900"), ("x-ratelimit-reset-tokens", "6m0s"),
        ])
        let hint = RateLimitHeaders.hint(from: headers)
        #expect(hint?.requests == .init(limitPerMinute: 3000, remaining: 2999, resetSeconds: 0.02))
        #expect(hint?.tokens == .init(limitPerMinute: 1_000_000, remaining: nil, resetSeconds: 360))
        #expect(RateLimitHeaders.hint(from: HTTPHeaders([("retry-after", "1")])) == nil)
    }

    @Test("the embedder returns the fake provider's reported limits with the answer and with a 429")
    func throughTheEmbedder() async throws {
        let server = try await FakeProviderServer.start(
            .init(rateLimits: .init(requestsPerMinute: 600, tokensPerMinute: 60_000)))
        do {
            try await checkLimits(server)
        } catch {
            try await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    func checkLimits(_ server: FakeProviderServer) async throws {
        let embedder = OpenAIEmbedder(
            configuration: .init(
                provider: .openAICompatible, baseURL: server.baseURL, apiKey: nil, apiKeyVariable: nil, model: "fake",
                dimensions: 8, sendDimensions: false, timeout: 30),
            tokenCounter: ApproximateTokenCounter(reason: "test"))
        let answer = try await embedder.embed(["alpha beta", "gamma"])  // 5 tokens as the fake counts them
        #expect(answer.rateLimits?.requests.limitPerMinute == 600)
        #expect(answer.rateLimits?.requests.remaining == 599)
        #expect(answer.rateLimits?.tokens.limitPerMinute == 60_000)
        #expect(answer.rateLimits?.tokens.remaining == 59_995)
        server.enqueue(.status(429, retryAfter: "2"))
        let error = await #expect(throws: ProviderError.self) { try await embedder.embed(["delta"]) }
        #expect(error?.kind == .rateLimited)
        #expect(error?.retryAfter == 2)
        #expect(error?.rateLimits?.requests.limitPerMinute == 600)
    }
}
