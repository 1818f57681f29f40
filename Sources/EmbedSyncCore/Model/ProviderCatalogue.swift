/// A provider EmbedSync can embed with.
public enum Provider: String, Sendable, CaseIterable, CustomStringConvertible {
    /// all-MiniLM-L6-v2 computed in-process: no key, no cost.
    case local
    /// `https://api.openai.com/v1`, key from `OPENAI_API_KEY`.
    case openai
    /// `https://openrouter.ai/api/v1`, key from `OPENROUTER_API_KEY`; model ids like `openai/text-embedding-3-small`.
    case openrouter
    /// Any server speaking OpenAI's `/embeddings` wire format at a given base URL; the key is optional.
    case openAICompatible = "openai-compatible"

    public var description: String { rawValue }

    /// Everything the pipeline and the CLI need to know of this provider.
    public var entry: ProviderCatalogue.Entry { ProviderCatalogue.entry(self) }
}

/// The tokenizer a model counts with.
public enum ModelTokenizer: Sendable, Equatable {
    /// BERT WordPiece (the local model): counted by the embedder itself.
    case wordPiece
    /// OpenAI's `cl100k_base` BPE.
    case cl100k
}

/// What EmbedSync knows of each provider and model, in one place: defaults, key variables, limits, dimensions,
/// prices and tokenizers. Every command, the estimate and the server read it here.
public enum ProviderCatalogue {
    /// One provider's defaults.
    public struct Entry: Sendable {
        public var provider: Provider
        /// The model used when none is configured; `nil` when the user must name one.
        public var defaultModel: String?
        /// Where requests go when no base URL is configured; `nil` for in-process or user-given servers.
        public var defaultBaseURL: String?
        /// The environment variable holding the key by default.
        public var keyVariable: String?
        /// Whether a run refuses to start without a key.
        public var requiresKey: Bool
        /// Request limits; `nil` for the local model, whose limits come from the model's own configuration.
        public var limits: ProviderLimits?
        /// A good default concurrency: the local model fills both cores with two batches in flight.
        public var defaultConcurrency: Int
        /// The models whose dimensions, prices and tokenizer are known.
        public var models: [Model]
    }

    /// A model whose properties are known.
    public struct Model: Sendable {
        /// The id as the provider expects it.
        public var id: String
        public var dimensions: Int
        /// Whether a smaller `dimensions` may be requested (OpenAI's v3 models).
        public var acceptsDimensions: Bool
        public var pricing: Pricing
        public var tokenizer: ModelTokenizer
    }

    static let openAIModels: [Model] = [
        Model(
            id: "text-embedding-3-small", dimensions: 1536, acceptsDimensions: true,
            pricing: Pricing(perMillionTokens: 0.02, batchPerMillionTokens: 0.01), tokenizer: .cl100k),
        Model(
            id: "text-embedding-3-large", dimensions: 3072, acceptsDimensions: true,
            pricing: Pricing(perMillionTokens: 0.13, batchPerMillionTokens: 0.065), tokenizer: .cl100k),
        Model(
            id: "text-embedding-ada-002", dimensions: 1536, acceptsDimensions: false,
            pricing: Pricing(perMillionTokens: 0.10, batchPerMillionTokens: 0.05), tokenizer: .cl100k),
    ]

    static func entry(_ provider: Provider) -> Entry {
        switch provider {
        case .local:
            return Entry(
                provider: .local, defaultModel: "sentence-transformers/all-MiniLM-L6-v2", defaultBaseURL: nil,
                keyVariable: nil,
                requiresKey: false, limits: nil, defaultConcurrency: 2,
                models: [
                    Model(
                        id: "sentence-transformers/all-MiniLM-L6-v2", dimensions: 384, acceptsDimensions: false,
                        pricing: .free,
                        tokenizer: .wordPiece)
                ])
        case .openai:
            return Entry(
                provider: .openai, defaultModel: "text-embedding-3-small", defaultBaseURL: "https://api.openai.com/v1",
                keyVariable: "OPENAI_API_KEY", requiresKey: true, limits: .openAI, defaultConcurrency: 4,
                models: openAIModels)
        case .openrouter:
            return Entry(
                provider: .openrouter, defaultModel: "openai/text-embedding-3-small",
                defaultBaseURL: "https://openrouter.ai/api/v1",
                keyVariable: "OPENROUTER_API_KEY", requiresKey: true, limits: .openAI, defaultConcurrency: 4,
                models: openAIModels.map { model in
                    var routed = model
                    routed.id = "openai/" + model.id
                    return routed
                })
        case .openAICompatible:
            return Entry(
                provider: .openAICompatible, defaultModel: nil, defaultBaseURL: nil, keyVariable: nil,
                requiresKey: false,
                limits: .openAI, defaultConcurrency: 4, models: [])
        }
    }

    /// A known model by id, from any provider (an `openai-compatible` server serving OpenAI's ids included).
    public static func model(_ id: String) -> Model? {
        for provider in Provider.allCases {
            if let model = provider.entry.models.first(where: { $0.id == id }) { return model }
        }
        return nil
    }
}
