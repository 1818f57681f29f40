/// How a failed request is retried: exponential backoff with jitter, honouring `Retry-After`.
public struct RetryPolicy: Sendable {
    /// Retries after the first attempt (`--max-retries`, default 5).
    public var maxRetries: Int
    /// The first backoff, in seconds; it doubles with each retry.
    public var baseDelay: Double
    /// The longest backoff, in seconds.
    public var maxDelay: Double
    /// The longest `Retry-After` honoured, in seconds.
    public var maxRetryAfter: Double

    public init(maxRetries: Int = 5, baseDelay: Double = 0.5, maxDelay: Double = 30, maxRetryAfter: Double = 300) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// The wait before retry number `retry` (1-based).
    /// - Parameters:
    ///   - retryAfter: the provider's `Retry-After`, in seconds, which wins when present: never retried sooner, and
    ///     spread over up to a quarter more (at least 0.25 s, at most 5 s), so workers sharing a key that were all told
    ///     "1 second" do not come back in the same instant.
    ///   - jitter: a number in 0..<1 (random in production, fixed in tests).
    public func delay(beforeRetry retry: Int, retryAfter: Double?, jitter: Double) -> Double {
        if let retryAfter, retryAfter >= 0 {
            let wait = min(retryAfter, maxRetryAfter)
            return wait + min(max(wait / 4, 0.25), 5) * jitter
        }
        let exponential = min(maxDelay, baseDelay * Double(1 << min(max(retry - 1, 0), 20)))
        return exponential * (0.5 + 0.5 * jitter)
    }
}
