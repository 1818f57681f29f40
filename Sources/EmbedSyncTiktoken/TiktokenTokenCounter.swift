import EmbedSyncCore

/// Exact `cl100k_base` counts for OpenAI's embedding models, as the pipeline's ``TokenCounter``.
public struct TiktokenTokenCounter: TokenCounter {
    public let encoding: TiktokenEncoding

    public init(encoding: TiktokenEncoding) {
        self.encoding = encoding
    }

    public var isExact: Bool { true }
    public var approximationReason: String? { nil }

    public func count(_ text: String) -> Int {
        encoding.count(text)
    }

    public func truncate(_ text: String, maxTokens: Int) -> (text: String, tokens: Int) {
        encoding.truncate(text, maxTokens: maxTokens)
    }

    /// Whether a model is tokenized with `cl100k_base` (OpenAI's embedding models, also as OpenRouter ids).
    public static func usesCL100K(model: String) -> Bool {
        ProviderCatalogue.model(model)?.tokenizer == .cl100k
    }
}
