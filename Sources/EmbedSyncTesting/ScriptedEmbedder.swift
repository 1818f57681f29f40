import EmbedSyncCore
import Synchronization

/// An in-process embedder for pipeline tests that need no HTTP: deterministic vectors, scripted errors.
public final class ScriptedEmbedder: Embedder, Sendable {
    public let identity: ModelIdentity
    public let limits: ProviderLimits
    public let tokenCounter: any TokenCounter
    private let state = Mutex<(errors: [ProviderError], calls: Int, inputs: Int, limits: RateLimitHint?)>(
        ([], 0, 0, nil))

    public init(dimensions: Int = 8, limits: ProviderLimits = .openAI) {
        identity = ModelIdentity(provider: "scripted", model: "scripted", dimensions: dimensions)
        self.limits = limits
        tokenCounter = ApproximateTokenCounter(reason: "test")
    }

    /// The next calls throw these errors, in order.
    public func fail(with errors: ProviderError...) {
        state.withLock { $0.errors.append(contentsOf: errors) }
    }

    /// Every later answer reports these limits, as a provider's rate-limit headers would.
    public func report(_ limits: RateLimitHint?) {
        state.withLock { $0.limits = limits }
    }

    public var calls: Int { state.withLock { $0.calls } }
    public var inputs: Int { state.withLock { $0.inputs } }

    public func embed(_ texts: [String]) async throws -> EmbeddingResponse {
        let (error, limits) = state.withLock { state -> (ProviderError?, RateLimitHint?) in
            state.calls += 1
            if !state.errors.isEmpty { return (state.errors.removeFirst(), state.limits) }
            state.inputs += texts.count
            return (nil, state.limits)
        }
        if let error { throw error }
        return EmbeddingResponse(
            vectors: texts.map { FakeProviderServer.vector(for: $0, dimensions: identity.dimensions) },
            billedTokens: texts.count, rateLimits: limits)
    }
}
