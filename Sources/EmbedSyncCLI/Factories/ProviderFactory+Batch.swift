import EmbedSyncCore
import EmbedSyncOpenAI

extension ProviderFactory {
    /// The Batch API of the configured provider.
    /// - Throws: ``EmbedSyncError`` (`.usage`) for a provider without one (`local`, `openrouter`), and whatever
    /// ``makeEmbedder(needsKey:)`` throws.
    func makeBatchService() throws -> any BatchService {
        let provider = try provider()
        guard provider == .openai || provider == .openAICompatible else {
            throw EmbedSyncError(
                .usage,
                """
                --batch-api needs a provider with OpenAI's Files and Batch API: openai, or openai-compatible with a \
                --base-url that serves /files and /batches. '\(provider.rawValue)' has none \
                \(provider == .local ? "(the local model needs none: run without --batch-api)" : "for embeddings").
                """)
        }
        guard let embedder = try makeEmbedder(needsKey: true) as? OpenAIEmbedder else {
            throw EmbedSyncError(.usage, "--batch-api works with OpenAI-style providers only.")
        }
        return OpenAIBatchService(embedder: embedder)
    }
}
