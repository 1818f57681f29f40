/// What a provider said about its rate limits in one response, in neutral terms.
///
/// Providers report their per-minute budgets in headers (OpenAI: `x-ratelimit-limit-requests`,
/// `x-ratelimit-remaining-requests`, `x-ratelimit-reset-requests` and the `-tokens` equivalents). An ``Embedder``
/// that reads them returns a hint with each response (``EmbeddingResponse/rateLimits``, or
/// ``ProviderError/rateLimits`` on an error), and the ``Runner`` paces its requests to it, so a user never has to
/// know their account's tier.
public struct RateLimitHint: Sendable, Equatable {
    /// One budget: requests or tokens.
    public struct Budget: Sendable, Equatable {
        /// The most the provider allows per minute.
        public var limitPerMinute: Int?
        /// What is left of it now.
        public var remaining: Int?
        /// Seconds until the budget is full again.
        public var resetSeconds: Double?

        public init(limitPerMinute: Int? = nil, remaining: Int? = nil, resetSeconds: Double? = nil) {
            self.limitPerMinute = limitPerMinute
            self.remaining = remaining
            self.resetSeconds = resetSeconds
        }

        /// Whether the provider said anything about this budget.
        public var isEmpty: Bool { limitPerMinute == nil && remaining == nil && resetSeconds == nil }
    }

    /// The requests-per-minute budget.
    public var requests: Budget
    /// The tokens-per-minute budget.
    public var tokens: Budget

    public init(requests: Budget = Budget(), tokens: Budget = Budget()) {
        self.requests = requests
        self.tokens = tokens
    }

    /// Whether the provider said anything about its limits.
    public var isEmpty: Bool { requests.isEmpty && tokens.isEmpty }
}
