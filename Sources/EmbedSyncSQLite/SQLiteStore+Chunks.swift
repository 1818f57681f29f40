import EmbedSyncCore
import Foundation
import GRDB

/// Chunks (``ChunkStore``): `<target>_chunks` beside the target table, written in the commit's transaction.
extension SQLiteStore: ChunkStore {
    var chunkSQL: ChunkTableSQL { ChunkTableSQL(target: targetTable) }

    public func validateChunkTarget() async throws {
        guard !isColumnMode else { throw EmbedSyncError(.usage, Self.columnModeChunks) }
    }

    static let columnModeChunks: ErrorMessage = """
        Chunks (\(.chunkTokens)) are stored in table mode only: several vectors per row do not fit one column. \
        Drop \(.targetColumn) (and use \(.targetTable)), or drop \(.chunkTokens).
        """

    /// Replaces the chunks of the rows that carry them; called inside the commit's transaction.
    func storeChunks(_ db: Database, _ rows: [EmbeddedRow], model: ModelIdentity) throws {
        let chunked = rows.filter { $0.chunks != nil }
        guard !chunked.isEmpty else { return }
        guard !isColumnMode else { throw EmbedSyncError(.usage, Self.columnModeChunks) }
        let sql = chunkSQL
        let idType = (state.withLock { $0.schema }?.hasIntegerIDs ?? true) ? "INTEGER" : "TEXT"
        for statement in sql.create(idType: idType, dimensions: model.dimensions) { try db.execute(sql: statement) }
        let delete = try db.cachedStatement(sql: sql.deleteRow)
        let insert = try db.cachedStatement(sql: sql.insert)
        for row in chunked {
            try delete.execute(arguments: [row.id.databaseValue])
            for chunk in row.chunks ?? [] {
                guard chunk.vector.count == model.dimensions else {
                    throw EmbedSyncError(
                        .database,
                        "Refusing to store a \(chunk.vector.count)-dimension chunk vector for row \(row.id).")
                }
                try insert.execute(arguments: [
                    row.id.databaseValue, chunk.number, chunk.start, chunk.end, Data(chunk.text.utf8),
                    VectorCodec.encode(chunk.vector), row.contentHash, model.storageKey,
                ])
            }
        }
    }

    /// Exact search: streams the chunks of one model in row order and keeps each row's best chunk.
    public func searchChunks(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit] {
        let schema = try await sourceSchema()
        let query = VectorScan.normalized(query)
        return try await database("search") {
            try await queue.read { db in
                guard try db.tableExists(self.chunkSQL.name), try db.tableExists(self.targetTable) else { return [] }
                var arguments: StatementArguments = [model.storageKey]
                var filterIDs: String?
                if let filter {
                    let (ids, values) = try self.matchingIDs(db, schema: schema, filter: filter)
                    filterIDs = ids
                    arguments += values
                }
                let sql = self.chunkSQL.searchable(vector: "c.embedding", filterIDs: filterIDs) + " ORDER BY c.row_id"
                var ranking = BestChunkRanking(k: k, minScore: minScore)
                let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                while let row = try cursor.next() {
                    guard let id = RowID(row[0] as DatabaseValue), let blob = row[1] as Data?,
                        let vector = VectorCodec.decode(blob)
                    else { continue }
                    ranking.add(id: id, score: BestChunkRanking.cosine(query, vector), text: row[2] as String? ?? "")
                }
                return ranking.finish()
            }
        }
    }

    public func storedChunks(ids: [RowID]) async throws -> [StoredChunk] {
        let json =
            "["
            + ids.map { id -> String in
                if case .int(let number) = id { return String(number) }
                return "\"" + id.description.replacingOccurrences(of: "\"", with: "\\\"") + "\""
            }.joined(separator: ",") + "]"
        return try await database("chunk read") {
            try await queue.read { db in
                guard try db.tableExists(self.chunkSQL.name) else { return [] }
                return try Row.fetchAll(db, sql: self.chunkSQL.stored, arguments: [json]).compactMap { row in
                    guard let id = RowID(row[0] as DatabaseValue) else { return nil }
                    return StoredChunk(
                        id: id, number: row[1], start: row[2], end: row[3], text: row[4], contentHash: row[5],
                        modelKey: row[6])
                }
            }
        }
    }
}
