/// Client-side requests-per-minute and tokens-per-minute limits, as two token buckets.
public actor Throttle {
    private let requestsPerMinute: Double?
    private let tokensPerMinute: Double?
    private let clock: any PipelineClock
    private var requestBudget: Double
    private var tokenBudget: Double
    private var last: Double

    public init(requestsPerMinute: Int?, tokensPerMinute: Int?, clock: any PipelineClock) {
        self.requestsPerMinute = requestsPerMinute.map(Double.init)
        self.tokensPerMinute = tokensPerMinute.map(Double.init)
        self.clock = clock
        self.requestBudget = requestsPerMinute.map(Double.init) ?? 0
        self.tokenBudget = tokensPerMinute.map(Double.init) ?? 0
        self.last = clock.now()
    }

    /// Waits until one request of `tokens` tokens fits both limits, then spends it.
    public func acquire(tokens: Int) async throws {
        guard requestsPerMinute != nil || tokensPerMinute != nil else { return }
        while true {
            refill()
            let tokenNeed = tokensPerMinute.map { min(Double(tokens), $0) } ?? 0
            var wait = 0.0
            if let rpm = requestsPerMinute, requestBudget < 1 {
                wait = max(wait, (1 - requestBudget) / (rpm / 60))
            }
            if let tpm = tokensPerMinute, tokenBudget < tokenNeed {
                wait = max(wait, (tokenNeed - tokenBudget) / (tpm / 60))
            }
            if wait <= 0 {
                if requestsPerMinute != nil { requestBudget -= 1 }
                if tokensPerMinute != nil { tokenBudget -= tokenNeed }
                return
            }
            try await clock.sleep(seconds: wait)
        }
    }

    private func refill() {
        let now = clock.now()
        let elapsed = max(0, now - last)
        last = now
        if let rpm = requestsPerMinute { requestBudget = min(rpm, requestBudget + elapsed * rpm / 60) }
        if let tpm = tokensPerMinute { tokenBudget = min(tpm, tokenBudget + elapsed * tpm / 60) }
    }
}
