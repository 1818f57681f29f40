extension Searcher {
    /// Rows ranked by their best chunk, each once, with that chunk's text.
    func chunkResults(
        query: [Float], k: Int, minScore: Double?, filter: SearchFilter?
    ) async throws -> [SearchResult] {
        guard let chunkStore = store as? any ChunkStore else {
            throw EmbedSyncError(
                .usage,
                "This target holds no chunks to search (\(.chunkTokens)): chunks are stored in table mode only.")
        }
        let hits = try await chunkStore.searchChunks(
            query: query, model: embedder.identity, k: k, minScore: minScore, filter: filter, fields: [])
        return hits.map { SearchResult(id: $0.id, score: $0.score, text: $0.storedText ?? "") }
    }
}
