import EmbedSyncCore
import EmbedSyncTesting
import Testing

@Suite("Throttle")
struct ThrottleTests {
    @Test("a requests-per-minute limit spaces requests once the first minute's budget is spent")
    func requestsPerMinute() async throws {
        let clock = TestClock()
        let throttle = Throttle(requestsPerMinute: 60, tokensPerMinute: nil, clock: clock)
        for _ in 0..<60 { try await throttle.acquire(tokens: 1) }
        #expect(clock.sleeps.isEmpty)
        try await throttle.acquire(tokens: 1)
        #expect(clock.sleeps.reduce(0, +) >= 0.99)
        #expect(clock.now() >= 0.99 && clock.now() <= 1.01)
    }

    @Test("a tokens-per-minute limit waits for enough tokens to refill")
    func tokensPerMinute() async throws {
        let clock = TestClock()
        let throttle = Throttle(requestsPerMinute: nil, tokensPerMinute: 6000, clock: clock)
        try await throttle.acquire(tokens: 6000)
        try await throttle.acquire(tokens: 3000)
        #expect(abs(clock.now() - 30) < 0.01)
    }

    @Test("no limits never waits")
    func unlimited() async throws {
        let clock = TestClock()
        let throttle = Throttle(requestsPerMinute: nil, tokensPerMinute: nil, clock: clock)
        for _ in 0..<1000 { try await throttle.acquire(tokens: 100_000) }
        #expect(clock.sleeps.isEmpty)
    }
}
