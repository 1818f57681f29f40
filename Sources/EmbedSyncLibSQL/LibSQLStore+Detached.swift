import EmbedSyncCore

extension LibSQLStore: DetachedTargetStore {
    public func adoptSourceSchema(_ schema: SourceSchema) {
        state.withLock { $0.schema = schema }
    }

    public func storedStates(ids: [RowID]) async throws -> [RowID: (stored: StoredState?, failure: FailureState?)] {
        guard !ids.isEmpty else { return [:] }
        var states: [RowID: (stored: StoredState?, failure: FailureState?)] = [:]
        var statements: [HranaStatement] = []
        let targetExists = try await tableExists(targetTable)
        let failuresExist = try await tableExists("embedsync_failures")
        if targetExists {
            statements.append(
                HranaStatement(
                    "SELECT id, content_hash, model FROM \(quoteIdentifier(targetTable)) "
                        + "WHERE id IN (SELECT value FROM json_each(?))", [LibSQLStore.jsonIDs(ids)]))
        }
        if failuresExist {
            statements.append(
                HranaStatement(
                    "SELECT row_id, runs, content_hash FROM embedsync_failures "
                        + "WHERE target = ? AND row_id IN (SELECT value FROM json_each(?))",
                    [.text(targetTable), LibSQLStore.jsonIDs(ids)]))
        }
        let results = try await client.executeAll(statements)
        if targetExists {
            for row in results[0].rows {
                guard let id = LibSQLStore.rowID(row[0]), let hash = row[1].string, let model = row[2].string else {
                    continue
                }
                states[id, default: (nil, nil)].stored = StoredState(contentHash: hash, modelKey: model)
            }
        }
        if failuresExist, let failures = results.last {
            for row in failures.rows {
                guard let id = LibSQLStore.rowID(row[0]), let runs = row[1].int else { continue }
                states[id, default: (nil, nil)].failure = FailureState(runs: Int(runs), contentHash: row[2].string)
            }
        }
        state.withLock { state in
            if state.seen.count > 100_000 { state.seen.removeAll(keepingCapacity: true) }
            for id in ids { state.seen[id] = LibSQLStore.storedKey(states[id]?.stored) }
        }
        return states
    }

    public func storedIDs(after: RowID?, limit: Int) async throws -> [RowID] {
        guard try await tableExists(targetTable) else { return [] }
        var sql = "SELECT id FROM \(quoteIdentifier(targetTable))"
        var args: [HranaValue] = []
        if let after {
            sql += " WHERE id > ?"
            args.append(LibSQLStore.value(after))
        }
        sql += " ORDER BY id LIMIT ?"
        args.append(.integer(Int64(limit)))
        return try await client.execute(HranaStatement(sql, args)).rows.compactMap { LibSQLStore.rowID($0[0]) }
    }

    public func deleteVectors(ids: [RowID], run: RunRecord) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        var statements = createTableStatements(dimensions: run.model.dimensions)
        let deleteIndex = statements.count
        statements += [
            HranaStatement(
                "DELETE FROM \(quoteIdentifier(targetTable)) WHERE id IN (SELECT value FROM json_each(?))",
                [LibSQLStore.jsonIDs(ids)], wantRows: false),
            HranaStatement(
                "DELETE FROM embedsync_failures WHERE target = ? AND row_id IN (SELECT value FROM json_each(?))",
                [.text(targetTable), LibSQLStore.jsonIDs(ids)], wantRows: false),
            insertRun(run),
        ]
        let results = try await client.batch(statements)
        rememberCreatedTables()
        return results[deleteIndex].affectedRowCount
    }
}
