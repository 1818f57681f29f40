import EmbedSyncCore
import Foundation

/// Chunks (``ChunkStore``): `<target>_chunks` beside the target table (`F32_BLOB(d)` vectors), written in the
/// commit's transaction, searched on the server with `vector_distance_cos`.
extension LibSQLStore: ChunkStore {
    var chunkSQL: ChunkTableSQL { ChunkTableSQL(target: targetTable) }

    public func validateChunkTarget() async throws {
        guard !isColumnMode else {
            throw EmbedSyncError(
                .usage,
                """
                Chunks (\(.chunkTokens)) are stored in table mode only: several vectors per row do not fit one \
                column. Drop \(.targetColumn) (and use \(.targetTable)), or drop \(.chunkTokens).
                """)
        }
    }

    /// The statements replacing the chunks of the rows that carry them, appended to the commit's pipeline. Each
    /// applies only when the row's vector was written in this commit (the target holds the row's new hash), so a row
    /// the content-hash re-check left out keeps its chunks too.
    func chunkWrites(_ rows: [EmbeddedRow], model: ModelIdentity) -> [HranaStatement] {
        let chunked = rows.filter { $0.chunks != nil }
        guard !chunked.isEmpty, !isColumnMode else { return [] }
        let sql = chunkSQL
        let idType = (state.withLock { $0.schema }?.hasIntegerIDs ?? true) ? "INTEGER" : "TEXT"
        var statements = sql.create(idType: idType, dimensions: model.dimensions).map {
            HranaStatement($0, wantRows: false)
        }
        let written =
            "EXISTS (SELECT 1 FROM \(quoteIdentifier(targetTable)) WHERE id = ? AND content_hash = ? AND model = ?)"
        for row in chunked {
            let check: [HranaValue] = [Self.value(row.id), .text(row.contentHash), .text(model.storageKey)]
            statements.append(
                HranaStatement(sql.deleteRow + " AND " + written, [Self.value(row.id)] + check, wantRows: false))
            for chunk in row.chunks ?? [] where chunk.vector.count == model.dimensions {
                statements.append(
                    HranaStatement(
                        """
                        INSERT INTO \(quoteIdentifier(sql.name)) (row_id, chunk, span_start, span_end, text, \
                        embedding, content_hash, model) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE \(written)
                        """,
                        [
                            Self.value(row.id), .integer(Int64(chunk.number)), .integer(Int64(chunk.start)),
                            .integer(Int64(chunk.end)), .text(chunk.text), .blob(LibSQLStore.encode(chunk.vector)),
                            .text(row.contentHash), .text(model.storageKey),
                        ] + check, wantRows: false))
            }
        }
        return statements
    }

    /// Exact, on the server: each row's best chunk by `vector_distance_cos` (`GROUP BY` the row; SQLite takes the
    /// bare `text` from the row that has the minimum), best first.
    public func searchChunks(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit] {
        let schema = try await sourceSchema()
        guard k > 0, try await tableExists(chunkSQL.name), try await tableExists(targetTable) else { return [] }
        if let filter { try await checkFilter(filter, schema: schema) }
        var sql = chunkSQL.searchable(
            vector: "MIN(vector_distance_cos(c.embedding, vector32(?))) AS distance", filterIDs: nil)
        var args: [HranaValue] = [.blob(LibSQLStore.encode(query)), .text(model.storageKey)]
        if let filter {
            let condition = filterCondition(filter, schema: schema)
            sql += condition.sql
            args += condition.values
        }
        sql += " GROUP BY c.row_id"
        if let minScore {
            sql += " HAVING 1 - distance >= ?"
            args.append(.float(minScore))
        }
        sql += " ORDER BY distance, c.row_id LIMIT ?"
        args.append(.integer(Int64(k)))
        let result = try await client.execute(HranaStatement(sql, args))
        return result.rows.compactMap { row in
            guard row.count == 3, let id = LibSQLStore.rowID(row[0]), let distance = row[1].double else { return nil }
            return SearchHit(id: id, score: 1 - distance, values: [:], storedText: row[2].string)
        }
    }

    public func storedChunks(ids: [RowID]) async throws -> [StoredChunk] {
        guard try await tableExists(chunkSQL.name) else { return [] }
        let result = try await client.execute(HranaStatement(chunkSQL.stored, [LibSQLStore.jsonIDs(ids)]))
        return result.rows.compactMap { row in
            guard row.count == 7, let id = LibSQLStore.rowID(row[0]), let number = row[1].int, let start = row[2].int,
                let end = row[3].int
            else { return nil }
            return StoredChunk(
                id: id, number: Int(number), start: Int(start), end: Int(end), text: row[4].string ?? "",
                contentHash: row[5].string ?? "", modelKey: row[6].string ?? "")
        }
    }
}
