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

    /// SPEC §2's price table, by model name (OpenRouter's `openai/…` ids included).
    public static func known(model: String) -> Pricing? {
        let name = model.hasPrefix("openai/") ? String(model.dropFirst("openai/".count)) : model
        switch name {
        case "text-embedding-3-small": return Pricing(perMillionTokens: 0.02, batchPerMillionTokens: 0.01)
        case "text-embedding-3-large": return Pricing(perMillionTokens: 0.13, batchPerMillionTokens: 0.065)
        case "text-embedding-ada-002": return Pricing(perMillionTokens: 0.10, batchPerMillionTokens: 0.05)
        default: return nil
        }
    }
}
