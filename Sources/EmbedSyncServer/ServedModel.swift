import EmbedSyncCore
import Foundation
import Hummingbird

/// The model the server embeds with, the names clients may call it by, and the one way texts are prepared for it:
/// cut at the model's window as `embedsync run` does, so a query's vector equals the stored vector of the same text.
public struct ServedModel: Sendable {
    public let embedder: any Embedder
    /// The id `/v1/models` lists and responses carry (the model name, e.g. `all-MiniLM-L6-v2`).
    public var id: String { embedder.identity.model }
    /// Every name `model` may take: the id, its last path component, `provider/model`, the storage key, and
    /// configured aliases.
    public let names: Set<String>

    public init(embedder: any Embedder, aliases: [String] = []) {
        self.embedder = embedder
        let identity = embedder.identity
        var names: Set<String> = [identity.model, "\(identity.provider)/\(identity.model)", identity.storageKey]
        // `sentence-transformers/all-MiniLM-L6-v2` is also `all-MiniLM-L6-v2`, as people write it.
        if let short = identity.model.split(separator: "/").last, short != Substring(identity.model) {
            names.insert(String(short))
        }
        names.formUnion(aliases)
        self.names = names
    }

    public var dimensions: Int { embedder.identity.dimensions }

    /// Texts as the model sees them (cut at its per-input limit) with their token counts.
    func prepare(_ texts: [String]) -> [(text: String, tokens: Int)] {
        let counter = embedder.tokenCounter
        let limit = embedder.limits.maxTokensPerInput
        return texts.map { text in
            let tokens = counter.count(text)
            return tokens > limit ? counter.truncate(text, maxTokens: limit) : (text, tokens)
        }
    }

    /// Embeds prepared texts in as few model calls as the provider's limits allow, in order.
    /// - Throws: ``APIError`` when the provider fails or returns vectors that are not the model's.
    func embed(_ prepared: [(text: String, tokens: Int)], metrics: ServerMetrics?) async throws -> [[Float]] {
        let limits = embedder.limits
        var vectors: [[Float]] = []
        vectors.reserveCapacity(prepared.count)
        var start = 0
        while start < prepared.count {
            var end = start
            var tokens = 0
            while end < prepared.count, end - start < limits.maxInputs,
                end == start || tokens + prepared[end].tokens <= limits.maxTokensPerRequest
            {
                tokens += prepared[end].tokens
                end += 1
            }
            let chunk = prepared[start..<end].map(\.text)
            metrics?.batchSize.record(Double(chunk.count))
            let response: EmbeddingResponse
            do {
                response = try await embedder.embed(chunk)
            } catch let error as ProviderError {
                let status: HTTPResponse.Status = error.kind == .rateLimited ? .tooManyRequests : .badGateway
                var fields = HTTPFields()
                if let after = error.retryAfter { fields[.retryAfter] = String(Int(after.rounded(.up))) }
                throw APIError(
                    status, "The embedding provider failed: \(error.message)", type: "server_error", headers: fields)
            }
            guard response.vectors.count == chunk.count,
                response.vectors.allSatisfy({
                    VectorValidator.problem(with: $0, expectedDimensions: dimensions) == nil
                })
            else {
                throw APIError.server("The model returned an unexpected number of vectors or an invalid vector.")
            }
            vectors.append(contentsOf: response.vectors)
            start = end
        }
        return vectors
    }
}
