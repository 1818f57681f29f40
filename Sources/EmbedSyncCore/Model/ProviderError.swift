/// A failed embedding request, classified so the pipeline knows what to do next.
public struct ProviderError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// 401/403: the key is missing or wrong. Fatal at once.
        case authentication
        /// 402: no credits left. Fatal at once.
        case noCredits = "no_credits"
        /// 429: slow down; retried after `Retry-After`.
        case rateLimited = "rate_limited"
        /// 408/409/5xx, timeouts, dropped connections, cut or malformed bodies, errors inside a 200. Retried.
        case transient
        /// The provider cannot be reached (connection refused, DNS). Retried, then fatal.
        case unreachable
        /// 400/413/422: the provider rejected an input. The batch is split to isolate it.
        case rejected
        /// Any other refusal (404 model not found, bad base URL…). Fatal.
        case fatal
    }

    public var kind: Kind
    /// What went wrong and the fix, naming inputs as ``Parameter``s.
    public var text: ErrorMessage
    public var message: String { text.description }
    public var statusCode: Int?
    /// How long the provider asked us to wait, in seconds.
    public var retryAfter: Double?
    /// Set on a ``Kind/rejected`` input that is longer than the model's context: the pipeline shortens it and retries.
    public var overflow: InputOverflow?
    /// The provider's rate limits as it reported them with this error (a 429 usually carries them).
    public var rateLimits: RateLimitHint?

    public init(
        _ kind: Kind, _ text: ErrorMessage, statusCode: Int? = nil, retryAfter: Double? = nil,
        overflow: InputOverflow? = nil, rateLimits: RateLimitHint? = nil
    ) {
        self.kind = kind
        self.text = text
        self.statusCode = statusCode
        self.retryAfter = retryAfter
        self.overflow = overflow
        self.rateLimits = rateLimits
    }

    public var isRetryable: Bool { kind == .rateLimited || kind == .transient || kind == .unreachable }
    public var isFatal: Bool { kind == .authentication || kind == .noCredits || kind == .fatal }

    /// The message with the HTTP status in front, parameters kept.
    public var detail: ErrorMessage {
        if let statusCode { return "HTTP \(statusCode): \(text)" }
        return text
    }

    public var description: String { detail.description }
}
