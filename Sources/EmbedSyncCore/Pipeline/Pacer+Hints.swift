extension Pacer {
    /// Takes in what the provider reported about its limits with a response.
    ///
    /// A reported per-minute limit becomes the rate to pace to (the configured one still wins when lower); while
    /// less than half of it is left — another client spending the same key — the pace slows in proportion
    /// (``reportedRate(_:)``). A budget reported as spent — fewer requests or tokens left than one request needs —
    /// holds every request back until that much has come back at the reported rate, or until the reported reset when
    /// no rate is known.
    /// - Parameter hint: the provider's limits, as read from one response.
    public func observe(_ hint: RateLimitHint) {
        let now = clock.now()
        let wasPacing = (requests: requestsPerMinute != nil, tokens: tokensPerMinute != nil)
        if let rate = Self.reportedRate(hint.requests) { reportedRequests = rate }
        if let rate = Self.reportedRate(hint.tokens) { reportedTokens = rate }
        // A rate learned now books the last request sent without one, so the next is spaced from it.
        if let last = lastStart {
            if !wasPacing.requests, let rate = requestsPerMinute {
                nextByRequests = max(nextByRequests, last.time + 60 / rate)
            }
            if !wasPacing.tokens, let rate = tokensPerMinute {
                nextByTokens = max(nextByTokens, last.time + min(Double(last.tokens), rate) * 60 / rate)
            }
        }
        if let remaining = hint.requests.remaining, remaining < 1 {
            pausedUntil = max(pausedUntil, now + Self.refillWait(need: 1, remaining: remaining, budget: hint.requests))
        }
        let tokensNeeded = tokensPerRequest ?? 1
        if let remaining = hint.tokens.remaining, Double(remaining) < tokensNeeded {
            pausedUntil = max(
                pausedUntil, now + Self.refillWait(need: tokensNeeded, remaining: remaining, budget: hint.tokens))
        }
    }

    /// The per-minute rate to pace a reported budget at: its limit while at least half of it is left, below that in
    /// proportion to what is left, and never under a twentieth of the limit; `nil` without a limit.
    ///
    /// Pacing at the limit keeps a budget that only this run spends full, so a budget below half full means someone
    /// else spends it too: slowing in proportion settles where both fit.
    public static func reportedRate(_ budget: RateLimitHint.Budget) -> Double? {
        guard let limit = budget.limitPerMinute, limit > 0 else { return nil }
        guard let remaining = budget.remaining else { return Double(limit) }
        return Double(limit) * min(1, max(0.05, Double(remaining) / (Double(limit) / 2)))
    }

    /// Seconds until a budget holding `remaining` has `need` again: at its per-minute rate when known (never past
    /// its full reset), else its reset, else one second.
    static func refillWait(need: Double, remaining: Int, budget: RateLimitHint.Budget) -> Double {
        let missing = max(0, need - Double(remaining))
        if let limit = budget.limitPerMinute, limit > 0 {
            let wait = missing * 60 / Double(limit)
            return budget.resetSeconds.map { min(wait, $0) } ?? wait
        }
        return budget.resetSeconds ?? 1
    }
}

extension Pacer {
    /// Learns from one answer: its latency, the tokens the provider counted and the limits it reported.
    func heed(_ response: EmbeddingResponse, counted: Int, latency: Double) {
        record(latency: latency, tokens: response.billedTokens ?? counted)
        if let billed = response.billedTokens { settle(counted: counted, billed: billed) }
        if let hint = response.rateLimits { observe(hint) }
    }

    /// Learns from a failed request the limits it reported and, when the provider answered, its latency (so a run
    /// whose first answers are refusals still opens its width).
    func heed(_ error: ProviderError, counted: Int, latency: Double) {
        if error.statusCode != nil { record(latency: latency, tokens: counted) }
        if let hint = error.rateLimits { observe(hint) }
    }
}
