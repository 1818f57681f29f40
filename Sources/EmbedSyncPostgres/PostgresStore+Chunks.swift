import EmbedSyncCore
import PostgresNIO

/// Chunks (``ChunkStore``): `<target>_chunks` beside the target table, a pgvector column per chunk, its rows
/// referencing the target's (`ON DELETE CASCADE`, so every way rows are pruned prunes their chunks).
extension PostgresStore: ChunkStore {
    func chunkTable(_ layout: Layout) -> String { qualified(layout.targetSchema, layout.targetName + "_chunks") }

    public func validateChunkTarget() async throws {
        guard try await !layout().isColumnMode else { throw EmbedSyncError(.usage, Self.columnModeChunks) }
    }

    static let columnModeChunks: ErrorMessage = """
        Chunks (\(.chunkTokens)) are stored in table mode only: several vectors per row do not fit one column. \
        Drop \(.targetColumn) (and use \(.targetTable)), or drop \(.chunkTokens).
        """

    /// Replaces the chunks of the rows that carry them; called inside the commit's transaction.
    func storeChunks(
        _ connection: PostgresConnection, _ rows: [EmbeddedRow], model: ModelIdentity, layout: Layout,
        vectorType: String
    ) async throws {
        let chunked = rows.filter { $0.chunks != nil }
        guard !chunked.isEmpty else { return }
        guard !layout.isColumnMode else { throw EmbedSyncError(.usage, Self.columnModeChunks) }
        let table = chunkTable(layout)
        var exists = SQLBuilder()
        exists.sql = "SELECT to_regclass(\(exists.bind(table)))::text"
        let found = try await connection.query(exists.query, logger: logger).collect().first?.decode(String?.self)
        if found == nil {
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(PostgresStore.lockClass), hashtext('embedsync ddl'))", logger: logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(table) (
                            row_id \(layout.idType) NOT NULL REFERENCES \(layout.target) (id) ON DELETE CASCADE,
                            chunk integer NOT NULL, span_start integer NOT NULL, span_end integer NOT NULL,
                            text text NOT NULL, embedding \(vectorType)(\(model.dimensions)) NOT NULL,
                            content_hash text NOT NULL, model text NOT NULL, PRIMARY KEY (row_id, chunk))
                        """), logger: logger)
        }
        var delete = SQLBuilder()
        let rowIDs = delete.bind(chunked.map(\.id.description))
        delete.sql = "DELETE FROM \(table) WHERE row_id = ANY(\(rowIDs)::text[]::\(layout.idType)[])"
        try await connection.query(delete.query, logger: logger)
        var ids: [String] = []
        var numbers: [Int64] = []
        var starts: [Int64] = []
        var ends: [Int64] = []
        var texts: [String] = []
        var hashes: [String] = []
        var flat: [Float] = []
        for row in chunked {
            for chunk in row.chunks ?? [] {
                guard chunk.vector.count == model.dimensions else {
                    throw EmbedSyncError(
                        .database,
                        "Refusing to store a \(chunk.vector.count)-dimension chunk vector for row \(row.id).")
                }
                ids.append(row.id.description)
                numbers.append(Int64(chunk.number))
                starts.append(Int64(chunk.start))
                ends.append(Int64(chunk.end))
                texts.append(chunk.text)
                hashes.append(row.contentHash)
                flat += chunk.vector
            }
        }
        guard !ids.isEmpty else { return }
        let dimensions = model.dimensions
        var insert = SQLBuilder()
        let vectors = insert.bind(flat)
        let slice = "(\(vectors)::float4[])[(u.n - 1) * \(dimensions) + 1 : u.n * \(dimensions)]::\(vectorType)"
        insert.sql = """
            INSERT INTO \(table) (row_id, chunk, span_start, span_end, text, embedding, content_hash, model)
            SELECT u.id::\(layout.idType), u.chunk, u.s, u.e, u.text, \(slice), u.hash, \(insert.bind(model.storageKey))
            FROM unnest(\(insert.bind(ids))::text[], \(insert.bind(numbers))::int8[], \(insert.bind(starts))::int8[],
                \(insert.bind(ends))::int8[], \(insert.bind(texts))::text[], \(insert.bind(hashes))::text[])
                WITH ORDINALITY AS u(id, chunk, s, e, text, hash, n)
            """
        try await connection.query(insert.query, logger: logger)
    }

    public func storedChunks(ids: [RowID]) async throws -> [StoredChunk] {
        let layout = try await layout()
        let table = chunkTable(layout)
        guard try await tableExists(table) else { return [] }
        return try await database("chunk read") {
            var builder = SQLBuilder()
            builder.sql = """
                SELECT row_id::text, chunk::int8, span_start::int8, span_end::int8, text, content_hash, model
                FROM \(table) WHERE row_id::text = ANY(\(builder.bind(ids.map(\.description)))::text[])
                ORDER BY row_id, chunk
                """
            var chunks: [StoredChunk] = []
            let rows = try await client.query(builder.query, logger: logger)
            for try await (id, number, start, end, text, hash, model) in rows.decode(
                (String, Int64, Int64, Int64, String, String, String).self)
            {
                chunks.append(
                    StoredChunk(
                        id: rowID(id, layout: layout), number: Int(number), start: Int(start), end: Int(end),
                        text: text, contentHash: hash, modelKey: model))
            }
            return chunks
        }
    }
}
