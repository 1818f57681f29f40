import EmbedSyncCore
import Synchronization

/// An in-process embedder for pipeline tests that need no HTTP: deterministic vectors, scripted errors.
public final class ScriptedEmbedder: Embedder, Sendable {
    public let identity: ModelIdentity
    public let limits: ProviderLimits
    public let tokenCounter: any TokenCounter
    private let state = Mutex<(errors: [ProviderError], calls: Int, inputs: Int)>(([], 0, 0))

    public init(dimensions: Int = 8, limits: ProviderLimits = .openAI) {
        identity = ModelIdentity(provider: "scripted", model: "scripted", dimensions: dimensions)
        self.limits = limits
        tokenCounter = ApproximateTokenCounter(reason: "test")
    }

    /// The next calls throw these errors, in order.
    public func fail(with errors: ProviderError...) {
        state.withLock { $0.errors.append(contentsOf: errors) }
    }

    public var calls: Int { state.withLock { $0.calls } }
    public var inputs: Int { state.withLock { $0.inputs } }

    public func embed(_ texts: [String]) async throws -> EmbeddingResponse {
        let error = state.withLock { state -> ProviderError? in
            state.calls += 1
            if !state.errors.isEmpty { return state.errors.removeFirst() }
            state.inputs += texts.count
            return nil
        }
        if let error { throw error }
        return EmbeddingResponse(
            vectors: texts.map { FakeProviderServer.vector(for: $0, dimensions: identity.dimensions) },
            billedTokens: texts.count)
    }
}
