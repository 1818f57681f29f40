import EmbedSyncCore
import EmbedSyncTesting
import Testing

@Suite("Pacer")
struct PacerTests {
    /// Starts `count` requests back to back, as a run with a backlog does; returns when each started and its tokens.
    func start(
        _ count: Int, on pacer: Pacer, clock: TestClock, tokens: (Int) -> Int = { _ in 1 }
    ) async throws -> [(time: Double, tokens: Int)] {
        var starts: [(time: Double, tokens: Int)] = []
        for index in 0..<count {
            let size = tokens(index)
            try await pacer.acquire(tokens: size)
            starts.append((clock.now(), size))
        }
        return starts
    }

    /// The smallest and largest total over every `seconds` window lying inside the run.
    func windowTotals(_ starts: [(time: Double, tokens: Int)], seconds: Double) -> (min: Double, max: Double) {
        guard let last = starts.last?.time else { return (0, 0) }
        var low = Double.infinity
        var high = 0.0
        for start in starts where start.time + seconds <= last {
            let total = starts.filter { $0.time >= start.time && $0.time < start.time + seconds }
                .reduce(0.0) { $0 + Double($1.tokens) }
            low = min(low, total)
            high = max(high, total)
        }
        return (low, high)
    }

    @Test("requests go out evenly spaced from the first one: no minute's budget in a burst")
    func evenRequests() async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: 600, tokensPerMinute: nil, clock: clock)
        let starts = try await start(50, on: pacer, clock: clock)
        for (index, start) in starts.enumerated() {
            #expect(abs(start.time - Double(index) * 0.1) < 1e-9, "request \(index) started at \(start.time)")
        }
    }

    @Test("tokens per minute: every 10 s and 60 s window carries 90–105% of the limit", arguments: [10.0, 60.0])
    func tokenWindows(seconds: Double) async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: nil, tokensPerMinute: 60_000, clock: clock)
        // Requests of 40 to 250 tokens (250: the most RunConfiguration packs at this limit).
        let starts = try await start(1500, on: pacer, clock: clock) { index in 40 + (index * 7919) % 211 }
        let totals = windowTotals(starts, seconds: seconds)
        let limit = 60_000 * seconds / 60
        #expect(totals.max <= limit * 1.05, "largest window: \(totals.max) of \(limit)")
        #expect(totals.min >= limit * 0.9, "smallest window: \(totals.min) of \(limit)")
    }

    @Test("requests per minute: every 10 s window holds 90–105% of the limit's share")
    func requestWindows() async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: 600, tokensPerMinute: nil, clock: clock)
        let totals = windowTotals(try await start(1200, on: pacer, clock: clock), seconds: 10)
        #expect(totals.max <= 105 && totals.min >= 90, "windows held \(totals.min) to \(totals.max) of 100")
    }

    @Test("with both limits the tighter one paces")
    func tighterLimit() async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: 600, tokensPerMinute: 6000, clock: clock)
        let starts = try await start(5, on: pacer, clock: clock) { _ in 100 }
        #expect(starts.map(\.time) == [0, 1, 2, 3, 4])
    }

    @Test("a request over a minute's tokens is booked as one minute, so it still goes")
    func oversizedRequest() async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: nil, tokensPerMinute: 600, clock: clock)
        let starts = try await start(2, on: pacer, clock: clock) { _ in 10_000 }
        #expect(starts.map(\.time) == [0, 60])
    }

    @Test("idle time saves up no burst beyond a tenth of a second")
    func noCreditAfterIdle() async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: 60, tokensPerMinute: nil, clock: clock)
        try await pacer.acquire(tokens: 1)
        try await clock.sleep(seconds: 30)
        let starts = try await start(3, on: pacer, clock: clock)
        let expected = [30, 30.9, 31.9]
        #expect(zip(starts, expected).allSatisfy { abs($0.time - $1) < 1e-9 }, "\(starts.map(\.time))")
    }

    @Test("without limits nothing waits")
    func unlimited() async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: nil, tokensPerMinute: nil, clock: clock)
        _ = try await start(1000, on: pacer, clock: clock) { _ in 100_000 }
        #expect(clock.sleeps.isEmpty)
    }

    @Test("the provider's reported limit paces a run with none configured")
    func reportedLimit() async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: nil, tokensPerMinute: nil, clock: clock)
        await pacer.observe(RateLimitHint(requests: .init(limitPerMinute: 1200, remaining: 1100, resetSeconds: 5)))
        let starts = try await start(4, on: pacer, clock: clock)
        #expect(starts.map(\.time).enumerated().allSatisfy { abs($1 - Double($0) * 0.05) < 1e-9 })
    }

    @Test(
        "a reported budget below half full slows the pace in proportion (another client spends the same key)",
        arguments: [(600, 599, 600.0), (600, 300, 600), (600, 150, 300), (600, 0, 30), (60_000, 6_000, 12_000)])
    func sharedBudget(limit: Int, remaining: Int, rate: Double) {
        #expect(Pacer.reportedRate(.init(limitPerMinute: limit, remaining: remaining)) == rate)
    }

    @Test("a quarter-full reported budget of 600 a minute paces at 300")
    func sharedBudgetPace() async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: nil, tokensPerMinute: nil, clock: clock)
        await pacer.observe(RateLimitHint(requests: .init(limitPerMinute: 600, remaining: 150)))
        let starts = try await start(3, on: pacer, clock: clock)
        #expect(zip(starts, [0, 0.2, 0.4]).allSatisfy { abs($0.time - $1) < 1e-9 }, "\(starts.map(\.time))")
    }

    @Test("a configured limit below the provider's still wins")
    func configuredWins() async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: 600, tokensPerMinute: nil, clock: clock)
        await pacer.observe(RateLimitHint(requests: .init(limitPerMinute: 6000)))
        #expect(await pacer.requestsPerMinute == 600)
        await pacer.observe(RateLimitHint(requests: .init(limitPerMinute: 300)))
        #expect(await pacer.requestsPerMinute == 300)
    }

    @Test(
        "a budget reported as spent holds requests until one request's worth is back",
        arguments: [
            (RateLimitHint(requests: .init(limitPerMinute: 600, remaining: 0, resetSeconds: 60)), 0.1),
            (RateLimitHint(requests: .init(remaining: 0, resetSeconds: 2)), 2.0),
            (RateLimitHint(tokens: .init(limitPerMinute: 60_000, remaining: 100, resetSeconds: 60)), 0.4),
            (RateLimitHint(tokens: .init(limitPerMinute: 60_000, remaining: 100, resetSeconds: 0.25)), 0.25),
        ])
    func spentBudget(hint: RateLimitHint, wait: Double) async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: nil, tokensPerMinute: nil, clock: clock)
        await pacer.record(latency: 0.3, tokens: 500)
        await pacer.observe(hint)
        try await pacer.acquire(tokens: 500)
        #expect(abs(clock.now() - wait) < 1e-9, "waited \(clock.now()) s")
    }

    @Test("a pause (Retry-After) holds every request")
    func pause() async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: nil, tokensPerMinute: nil, clock: clock)
        await pacer.pause(seconds: 3)
        try await pacer.acquire(tokens: 1)
        try await pacer.acquire(tokens: 1)
        #expect(clock.now() == 3)
    }

    @Test("the provider's token count corrects the charge")
    func settle() async throws {
        let clock = TestClock()
        let pacer = Pacer(requestsPerMinute: nil, tokensPerMinute: 6000, clock: clock)
        try await pacer.acquire(tokens: 100)
        await pacer.settle(counted: 100, billed: 200)
        try await pacer.acquire(tokens: 100)
        #expect(clock.now() == 2)
    }
}
