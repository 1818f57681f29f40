extension Pacer {
    /// Weight of the newest sample in the moving averages of latency and tokens per request.
    static let smoothing = 0.2

    /// Records one request's round trip, for Little's law and the expected size of the next request.
    /// - Parameters:
    ///   - seconds: how long the request took, from sending to the full answer.
    ///   - tokens: the tokens it carried.
    public func record(latency seconds: Double, tokens: Int) {
        let seconds = max(0, seconds)
        latency = latency.map { $0 + Self.smoothing * (seconds - $0) } ?? seconds
        let tokens = Double(max(0, tokens))
        tokensPerRequest = tokensPerRequest.map { $0 + Self.smoothing * (tokens - $0) } ?? tokens
    }

    /// Requests per second the rates allow, given the average request's tokens; `nil` when nothing paces.
    public var requestsPerSecond: Double? {
        var rate = requestsPerMinute.map { $0 / 60 }
        if let tokenRate = tokensPerMinute, let perRequest = tokensPerRequest, perRequest > 0 {
            rate = lower(rate, tokenRate / 60 / perRequest)
        }
        return rate
    }

    /// The average request latency measured so far, in seconds.
    public var averageLatency: Double? { latency }

    /// How many requests may be in flight.
    ///
    /// Until the first answer, one (unless `probing` is false): it measures the latency and brings the provider's
    /// limits, so a run never opens with a burst. Then, while a rate paces the run: rate × latency (Little's law)
    /// with a quarter of headroom, plus one, so the pace and not the width limits the run. Otherwise `unpaced`.
    /// Never more than `ceiling`.
    /// - Parameters:
    ///   - unpaced: the width when nothing paces the run (the configured concurrency).
    ///   - ceiling: the most ever in flight.
    ///   - probing: whether the first request goes out alone (``ProviderLimits/probesFirst``).
    public func inFlightLimit(unpaced: Int, ceiling: Int, probing: Bool = true) -> Int {
        let ceiling = max(1, ceiling)
        guard let rate = requestsPerSecond else {
            return latency == nil && probing ? 1 : max(1, min(unpaced, ceiling))
        }
        guard let latency else { return 1 }
        let width = (rate * latency * 1.25).rounded(.up) + 1
        return width >= Double(ceiling) ? ceiling : max(1, Int(width))
    }
}
