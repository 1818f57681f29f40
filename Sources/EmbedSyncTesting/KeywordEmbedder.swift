import EmbedSyncCore

/// An in-process embedder whose vectors share a direction exactly when their texts share words, with an exact
/// word-counting tokenizer: what chunking tests need (a phrase finds the chunk that holds it) without model weights.
///
/// Each word adds 1 to the dimension its letters hash to; every vector also has a small constant part, so none is
/// zero. Tokens are whitespace-separated words.
public struct KeywordEmbedder: Embedder {
    public let identity: ModelIdentity
    public let limits: ProviderLimits
    public let tokenCounter: any TokenCounter = WordTokenCounter()

    public init(dimensions: Int = 64, maxTokensPerInput: Int = 64) {
        identity = ModelIdentity(provider: "test", model: "keywords", dimensions: dimensions)
        limits = ProviderLimits(
            maxInputs: 256, maxTokensPerInput: maxTokensPerInput, maxTokensPerRequest: 100_000, defaultBatchSize: 16)
    }

    /// The vector of `text`.
    public func vector(_ text: String) -> [Float] {
        var vector = [Float](repeating: 0.01, count: identity.dimensions)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            vector[Self.dimension(of: word, dimensions: identity.dimensions)] += 1
        }
        return vector
    }

    /// The dimension a word adds to (a stable hash of its scalars).
    public static func dimension(of word: Substring, dimensions: Int) -> Int {
        var hash: UInt64 = 1_469_598_103_934_665_603
        for scalar in word.unicodeScalars {
            hash = (hash ^ UInt64(scalar.value)) &* 1_099_511_628_211
        }
        return Int(hash % UInt64(dimensions))
    }

    public func embed(_ texts: [String]) async throws -> EmbeddingResponse {
        EmbeddingResponse(
            vectors: texts.map(vector), billedTokens: texts.reduce(0) { $0 + tokenCounter.count($1) })
    }
}

/// Exact counts where a token is a whitespace-separated word (no special tokens).
public struct WordTokenCounter: TokenCounter {
    public var isExact: Bool { true }
    public var approximationReason: String? { nil }

    public init() {}

    public func count(_ text: String) -> Int {
        text.split(whereSeparator: \.isWhitespace).count
    }

    public func truncate(_ text: String, maxTokens: Int) -> (text: String, tokens: Int) {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count > maxTokens else { return (text, words.count) }
        guard maxTokens > 0 else { return ("", 0) }
        return (String(text[..<words[maxTokens - 1].endIndex]), maxTokens)
    }
}
