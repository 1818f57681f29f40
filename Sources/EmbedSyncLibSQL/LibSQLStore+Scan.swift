import EmbedSyncCore

extension LibSQLStore {
    /// One page of source rows with their stored hash and model (never the vectors), in id order.
    public func scan(after: RowID?, limit: Int, fields: [String]) async throws -> [ScannedRow] {
        let schema = try await sourceSchema()
        let id = "s.\(quoteIdentifier(schema.idColumn))"
        var (sql, args) = try await scanSelect(schema: schema, fields: fields)
        if let after {
            sql += " WHERE \(id) > ?"
            args.append(LibSQLStore.value(after))
        }
        sql += " ORDER BY \(id) LIMIT ?"
        args.append(.integer(Int64(limit)))
        let rows = LibSQLStore.scanned(try await client.execute(HranaStatement(sql, args)), fields: fields)
        remember(rows)
        return rows
    }

    public func rows(ids: [RowID], fields: [String]) async throws -> [ScannedRow] {
        guard !ids.isEmpty else { return [] }
        let schema = try await sourceSchema()
        let id = "s.\(quoteIdentifier(schema.idColumn))"
        let (select, args) = try await scanSelect(schema: schema, fields: fields)
        var rows: [ScannedRow] = []
        for start in stride(from: 0, to: ids.count, by: 5_000) {
            let slice = Array(ids[start..<min(ids.count, start + 5_000)])
            let sql = select + " WHERE \(id) IN (SELECT value FROM json_each(?)) ORDER BY \(id)"
            let result = try await client.execute(HranaStatement(sql, args + [LibSQLStore.jsonIDs(slice)]))
            rows += LibSQLStore.scanned(result, fields: fields)
        }
        remember(rows)
        return rows.sorted { $0.id < $1.id }
    }

    /// `SELECT id, fields…, stored hash, stored model, failure runs, failure hash FROM source LEFT JOIN …`.
    func scanSelect(schema: SourceSchema, fields: [String]) async throws -> (String, [HranaValue]) {
        let id = "s.\(quoteIdentifier(schema.idColumn))"
        var columns = [id] + fields.map { "s.\(quoteIdentifier($0))" }
        var joins = ""
        var args: [HranaValue] = []
        if try await tableExists(targetTable) {
            columns += ["t.content_hash", "t.model"]
            joins += " LEFT JOIN \(quoteIdentifier(targetTable)) AS t ON t.id = \(id)"
        } else {
            columns += ["NULL", "NULL"]
        }
        if try await tableExists("embedsync_failures") {
            columns += ["f.runs", "f.content_hash"]
            joins += " LEFT JOIN embedsync_failures AS f ON f.target = ? AND f.row_id = \(id)"
            args.append(.text(targetTable))
        } else {
            columns += ["NULL", "NULL"]
        }
        return ("SELECT \(columns.joined(separator: ", ")) FROM \(sourceSQL) AS s\(joins)", args)
    }

    static func scanned(_ result: HranaResult, fields: [String]) -> [ScannedRow] {
        result.rows.compactMap { row in
            guard let id = rowID(row[0]) else { return nil }
            var values: [String: String?] = [:]
            for (index, field) in fields.enumerated() { values[field] = row[index + 1].string }
            let base = fields.count + 1
            var scanned = ScannedRow(id: id, values: values)
            if let hash = row[base].string, let model = row[base + 1].string {
                scanned.stored = StoredState(contentHash: hash, modelKey: model)
            }
            if let runs = row[base + 2].int {
                scanned.failure = FailureState(runs: Int(runs), contentHash: row[base + 3].string)
            }
            return scanned
        }
    }

    /// The stored state as one comparable string ("" when nothing is stored).
    static func storedKey(_ stored: StoredState?) -> String {
        stored.map { "\($0.contentHash)\u{1}\($0.modelKey)" } ?? ""
    }

    /// Keeps what the scan saw stored, bounded, so ``claim(_:runID:)`` can tell rows stored meanwhile by others.
    private func remember(_ rows: [ScannedRow]) {
        state.withLock { state in
            if state.seen.count > 100_000 { state.seen.removeAll(keepingCapacity: true) }
            for row in rows { state.seen[row.id] = LibSQLStore.storedKey(row.stored) }
        }
    }
}
