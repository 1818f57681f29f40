/// Which model produced a vector: provider, model name and dimensions.
///
/// Vectors are only compared with vectors of the same identity; a changed identity marks a row stale.
public struct ModelIdentity: Hashable, Sendable, CustomStringConvertible {
    public var provider: String
    public var model: String
    public var dimensions: Int

    public init(provider: String, model: String, dimensions: Int) {
        self.provider = provider
        self.model = model
        self.dimensions = dimensions
    }

    /// The text stored beside each vector, e.g. `openai/text-embedding-3-small@1536`.
    public var storageKey: String { "\(provider)/\(model)@\(dimensions)" }

    public var description: String { storageKey }
}
