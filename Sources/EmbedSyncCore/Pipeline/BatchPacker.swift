/// Packs rows into provider requests: at most `batchSize` inputs and `maxTokensPerRequest` tokens each, and a
/// chunked row's pieces never split across two requests.
///
/// The runner sends what it packs; the estimator counts the requests the same packing makes, so an estimate's
/// `requests` is the run's.
public struct BatchPacker: Sendable {
    public let batchSize: Int
    public let maxTokensPerRequest: Int
    /// Inputs in the open batch.
    public private(set) var inputs = 0
    /// Tokens in the open batch.
    public private(set) var tokens = 0

    public init(batchSize: Int, maxTokensPerRequest: Int) {
        self.batchSize = max(1, batchSize)
        self.maxTokensPerRequest = maxTokensPerRequest
    }

    /// Whether the open batch must be sent before a row of `pieces` inputs and `tokens` tokens joins it.
    public func mustSend(beforeAdding pieces: Int, tokens: Int) -> Bool {
        inputs > 0
            && (inputs >= batchSize || self.tokens + tokens > maxTokensPerRequest
                || (pieces > 1 && inputs + pieces > batchSize))
    }

    /// Adds a row's pieces to the open batch.
    /// - Returns: whether the batch is now full and should be sent.
    public mutating func add(pieces: Int, tokens: Int) -> Bool {
        inputs += pieces
        self.tokens += tokens
        return inputs >= batchSize
    }

    /// Starts a new, empty batch.
    public mutating func reset() {
        inputs = 0
        tokens = 0
    }
}
