import EmbedSyncCore

/// Temporary: the local model lands in its own commit.
public struct LocalEmbedder {
    public static func load(modelDirectory: String?, environment: [String: String], cacheDirectory: String, threads: Int) throws -> any Embedder {
        throw EmbedSyncError(.model, "The local model is not built yet. Use --provider openai or openai-compatible.")
    }
}
