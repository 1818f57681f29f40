import EmbedSyncCore
import PostgresNIO

extension PostgresStore {
    /// The chunk table's HNSW index: `<target>_chunks_embedding_hnsw`, at most 63 bytes.
    func chunkIndexName(_ layout: Layout) -> String {
        String(splitName("\(layout.targetName)_chunks_embedding").name.utf8.prefix(57)).map { "\($0)_hnsw" }
            ?? "embedsync_chunks_hnsw"
    }

    /// With `embedsync index create`: an HNSW index for cosine distance on the chunks too, when there are chunks
    /// (``searchChunks(query:model:k:minScore:filter:fields:)`` over-fetches for it).
    func createChunkIndex() async throws {
        let layout = try await layout()
        let table = chunkTable(layout)
        guard !layout.isColumnMode, try await tableExists(table) else { return }
        let vectorSchema = try await vectorSchema()
        let name = chunkIndexName(layout)
        _ = try await database("chunk index creation") {
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE INDEX IF NOT EXISTS \(quoteIdentifier(name)) ON \(table)
                        USING hnsw (embedding \(vectorSchema).vector_cosine_ops)
                        """), logger: logger)
        }
    }

    /// With `embedsync index drop`: drops the chunk table's index when it exists.
    func dropChunkIndex() async throws {
        let layout = try await layout()
        let name = qualified(layout.targetSchema, chunkIndexName(layout))
        _ = try await database("chunk index drop") {
            try await client.query(PostgresQuery(unsafeSQL: "DROP INDEX IF EXISTS \(name)"), logger: logger)
        }
    }

    /// How many candidates an HNSW scan of the chunks may return: pgvector's `hnsw.ef_search` (default 40, at most
    /// 1000) raised to the over-fetch.
    static func chunkSearchBreadth(fetch: Int) -> Int { min(1000, max(40, fetch)) }
}
