import EmbedSyncCore

/// Chunks: kept with each row's vector, so they are replaced, pruned and reset with it.
extension InMemoryStore: ChunkStore {
    public func validateChunkTarget() async throws {}

    public func searchChunks(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit] {
        guard filter == nil else {
            throw EmbedSyncError(.usage, "The in-memory store cannot run a SQL filter; search it without one.")
        }
        let rows: [(RowID, [EmbeddedChunk])] = shared.database.withLock { state in
            state.vectors.compactMap { id, stored in
                guard stored.state.modelKey == model.storageKey, let chunks = stored.chunks else { return nil }
                return (id, chunks)
            }
        }
        var ranking = BestChunkRanking(k: k, minScore: minScore)
        for (id, chunks) in rows.sorted(by: { $0.0 < $1.0 }) {
            for chunk in chunks {
                ranking.add(id: id, score: BestChunkRanking.cosine(query, chunk.vector), text: chunk.text)
            }
        }
        return ranking.finish()
    }

    public func storedChunks(ids: [RowID]) async throws -> [StoredChunk] {
        shared.database.withLock { state in
            ids.flatMap { id -> [StoredChunk] in
                guard let stored = state.vectors[id] else { return [] }
                return (stored.chunks ?? []).map {
                    StoredChunk(
                        id: id, number: $0.number, start: $0.start, end: $0.end, text: $0.text,
                        contentHash: stored.state.contentHash, modelKey: stored.state.modelKey)
                }
            }
        }
    }
}
