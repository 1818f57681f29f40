/// Something that turns texts into vectors: the local model or an HTTP provider.
///
/// Implementations throw ``ProviderError`` so the pipeline can tell what to retry, split or give up on.
public protocol Embedder: Sendable {
    /// The model whose vectors this embedder returns.
    var identity: ModelIdentity { get }
    /// Request limits the pipeline packs batches within.
    var limits: ProviderLimits { get }
    /// Counts (and truncates) texts with the model's own tokenizer.
    var tokenCounter: any TokenCounter { get }
    /// Embeds the texts in one request, in order.
    /// - Returns: one vector per text, and the tokens the provider billed when it says so.
    func embed(_ texts: [String]) async throws -> EmbeddingResponse
}

/// The answer to one embedding request.
public struct EmbeddingResponse: Sendable {
    public var vectors: [[Float]]
    /// `usage.prompt_tokens` (or `total_tokens`) as reported by the provider; `nil` when it reports none.
    public var billedTokens: Int?
    /// The provider's rate limits as it reported them with this response; `nil` when it reports none.
    public var rateLimits: RateLimitHint?

    public init(vectors: [[Float]], billedTokens: Int?, rateLimits: RateLimitHint? = nil) {
        self.vectors = vectors
        self.billedTokens = billedTokens
        self.rateLimits = rateLimits
    }
}

/// Request limits of a provider.
public struct ProviderLimits: Sendable {
    /// Most inputs in one request (OpenAI: 2048).
    public var maxInputs: Int
    /// Most tokens in one input (OpenAI: 8192); longer texts are truncated before sending.
    public var maxTokensPerInput: Int
    /// Most tokens in one request (OpenAI: 300,000).
    public var maxTokensPerRequest: Int
    /// The batch size used when none is configured.
    public var defaultBatchSize: Int
    /// Whether the embedder truncates long inputs itself (the local model does, at its max sequence length).
    public var truncatesInternally: Bool
    /// Whether a run's first request goes out alone, so its answer measures the latency and brings the provider's
    /// rate limits before more are sent (HTTP providers). The local model has neither to learn: its first
    /// batches go out together, so its threads never wait between the first and the second.
    public var probesFirst: Bool

    public init(
        maxInputs: Int, maxTokensPerInput: Int, maxTokensPerRequest: Int, defaultBatchSize: Int,
        truncatesInternally: Bool = false, probesFirst: Bool = true
    ) {
        self.maxInputs = maxInputs
        self.maxTokensPerInput = maxTokensPerInput
        self.maxTokensPerRequest = maxTokensPerRequest
        self.defaultBatchSize = defaultBatchSize
        self.truncatesInternally = truncatesInternally
        self.probesFirst = probesFirst
    }

    /// OpenAI's documented limits.
    public static let openAI = ProviderLimits(
        maxInputs: 2048, maxTokensPerInput: 8192, maxTokensPerRequest: 300_000, defaultBatchSize: 256)
}

/// Counts tokens the way a model's tokenizer does.
public protocol TokenCounter: Sendable {
    /// Whether counts are exact (the model's own tokenizer) or an approximation.
    var isExact: Bool { get }
    /// Why counts are approximate, when they are.
    var approximationReason: String? { get }
    /// The number of tokens the model sees for this text (for the local model: with [CLS]/[SEP], after truncation).
    func count(_ text: String) -> Int
    /// The text cut to at most `maxTokens` tokens, and its token count.
    func truncate(_ text: String, maxTokens: Int) -> (text: String, tokens: Int)
}

/// The characters/4 approximation, used when the exact tokenizer is unavailable.
public struct ApproximateTokenCounter: TokenCounter {
    public let approximationReason: String?
    public var isExact: Bool { false }

    public init(reason: String) {
        approximationReason = reason
    }

    public func count(_ text: String) -> Int {
        max(1, (text.unicodeScalars.count + 3) / 4)
    }

    public func truncate(_ text: String, maxTokens: Int) -> (text: String, tokens: Int) {
        let tokens = count(text)
        if tokens <= maxTokens { return (text, tokens) }
        return (String(text.unicodeScalars.prefix(maxTokens * 4)), maxTokens)
    }
}
