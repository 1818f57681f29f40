import EmbedSyncCore

extension LibSQLStore {
    /// Search on the server: `.server` orders every stored vector by `vector_distance_cos` (exact, one round trip);
    /// `.index` takes `vector_top_k` candidates from the DiskANN index of `embedsync index create` and re-scores
    /// them exactly with `vector_distance_cos`. Scores are 1 − the server's cosine distance; a zero vector (no
    /// distance) is never a hit.
    func serverSearch(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, schema: SourceSchema
    ) async throws -> [SearchHit] {
        let (vector, from) = vectorSource(schema: schema)
        var args: [HranaValue] = [.blob(LibSQLStore.encode(query))]
        var source = from
        if configuration.searchMode == .index {
            let (table, _, name) = indexTarget
            try await requireIndex(name, table: table)
            // Over-fetch: the index knows nothing of models or filters, and drops duplicate vectors.
            let candidates = min(10_000, filter == nil ? max(k * 4, k + 32) : max(k * 16, k + 256))
            let topK = "vector_top_k('\(name.replacingOccurrences(of: "'", with: "''"))', vector32(?), ?) AS v"
            args += [.blob(LibSQLStore.encode(query)), .integer(Int64(candidates))]
            // CROSS JOIN keeps the index's candidates as the outer loop (a plain JOIN can be planned the other way).
            if case .column = configuration.target {
                source =
                    "\(topK) CROSS JOIN \(quoteIdentifier(table)) AS s ON s.rowid = v.id JOIN "
                    + "\(quoteIdentifier(targetTable)) AS t ON t.id = s.\(quoteIdentifier(schema.idColumn))"
            } else {
                source = "\(topK) CROSS JOIN \(quoteIdentifier(targetTable)) AS t ON t.rowid = v.id"
            }
        }
        var sql = """
            SELECT id, d FROM (SELECT t.id AS id, vector_distance_cos(\(vector), vector32(?)) AS d FROM \(source) \
            WHERE t.model = ? AND t.dimensions = ?
            """
        args += [.text(model.storageKey), .integer(Int64(model.dimensions))]
        if let filter {
            let condition = filterCondition(filter, schema: schema)
            sql += condition.sql
            args += condition.values
        }
        sql += ") WHERE d IS NOT NULL"
        if let minScore {
            sql += " AND d <= ?"
            args.append(.float(1 - minScore + 1e-6))
        }
        sql += " ORDER BY d, id LIMIT ?"
        args.append(.integer(Int64(k)))
        let result = try await client.execute(HranaStatement(sql, args))
        return result.rows.compactMap { row in
            guard let id = LibSQLStore.rowID(row[0]), let distance = row[1].double else { return nil }
            return SearchHit(id: id, score: 1 - distance, values: [:], storedText: nil)
        }
    }

    /// - Throws: ``EmbedSyncError`` (`.usage`) naming `embedsync index create` when the index does not exist.
    private func requireIndex(_ name: String, table: String) async throws {
        let found = try await client.execute(
            HranaStatement("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?", [.text(name)]))
        guard (found.rows.first?.first?.int ?? 0) > 0 else {
            throw EmbedSyncError(
                .usage,
                """
                No vector index '\(name)' on '\(table)' for \(.searchMode) index. Run `embedsync index create` with \
                the same flags first, or search with \(.searchMode) exact.
                """
            )
        }
    }
}
