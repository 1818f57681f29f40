/// USD prices per million input tokens.
public struct Pricing: Sendable, Equatable {
    public var perMillionTokens: Double
    /// The Batch API price, where the provider has one.
    public var batchPerMillionTokens: Double?

    public init(perMillionTokens: Double, batchPerMillionTokens: Double? = nil) {
        self.perMillionTokens = perMillionTokens
        self.batchPerMillionTokens = batchPerMillionTokens
    }

    public func cost(tokens: Int) -> Double {
        Double(tokens) * perMillionTokens / 1_000_000
    }

    public func batchCost(tokens: Int) -> Double? {
        batchPerMillionTokens.map { Double(tokens) * $0 / 1_000_000 }
    }

    public static let free = Pricing(perMillionTokens: 0)

    /// SPEC §2's price of a model, from ``ProviderCatalogue`` (OpenRouter's `openai/…` ids included).
    public static func known(model: String) -> Pricing? {
        ProviderCatalogue.model(model)?.pricing
    }
}
