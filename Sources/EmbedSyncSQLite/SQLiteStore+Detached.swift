import EmbedSyncCore
import GRDB

/// A SQLite file holding the vectors of rows that live in another database (`target.database`).
extension SQLiteStore: DetachedTargetStore {
    public func adoptSourceSchema(_ schema: SourceSchema) {
        state.withLock { $0.schema = schema }
    }

    public func storedStates(ids: [RowID]) async throws -> [RowID: (stored: StoredState?, failure: FailureState?)] {
        guard !ids.isEmpty else { return [:] }
        return try await database("stored state read") {
            try await queue.read { db in
                var states: [RowID: (stored: StoredState?, failure: FailureState?)] = [:]
                let hasTarget = try db.tableExists(self.targetTable)
                let hasFailures = try db.tableExists("embedsync_failures")
                for (placeholders, values) in SQLiteStore.idChunks(ids) {
                    if hasTarget {
                        let rows = try Row.fetchAll(
                            db,
                            sql: "SELECT id, content_hash, model FROM \(quoteIdentifier(self.targetTable)) "
                                + "WHERE id IN (\(placeholders))", arguments: values)
                        for row in rows {
                            guard let id = RowID(row[0] as DatabaseValue) else { continue }
                            states[id, default: (nil, nil)].stored = StoredState(
                                contentHash: row[1], modelKey: row[2])
                        }
                    }
                    if hasFailures {
                        let rows = try Row.fetchAll(
                            db,
                            sql: "SELECT row_id, runs, content_hash FROM embedsync_failures "
                                + "WHERE target = ? AND row_id IN (\(placeholders))",
                            arguments: [self.targetTable] + values)
                        for row in rows {
                            guard let id = RowID(row[0] as DatabaseValue) else { continue }
                            states[id, default: (nil, nil)].failure = FailureState(runs: row[1], contentHash: row[2])
                        }
                    }
                }
                return states
            }
        }
    }

    public func storedIDs(after: RowID?, limit: Int) async throws -> [RowID] {
        try await database("id read") {
            try await queue.read { db in
                guard try db.tableExists(self.targetTable) else { return [] }
                var sql = "SELECT id FROM \(quoteIdentifier(self.targetTable))"
                var arguments: StatementArguments = []
                if let after {
                    sql += " WHERE id > ?"
                    arguments += [after.databaseValue]
                }
                sql += " ORDER BY id LIMIT ?"
                arguments += [limit]
                return try DatabaseValue.fetchAll(db, sql: sql, arguments: arguments).compactMap { RowID($0) }
            }
        }
    }

    public func deleteVectors(ids: [RowID], run: RunRecord) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await database("prune") {
            try enableWALIfNeeded()
            return try await queue.write { db in
                try self.createTables(db, dimensions: run.model.dimensions)
                try self.upsertRun(db, run, delta: nil)
                var deleted = 0
                for (placeholders, values) in SQLiteStore.idChunks(ids) {
                    try db.execute(
                        sql: "DELETE FROM \(quoteIdentifier(self.targetTable)) WHERE id IN (\(placeholders))",
                        arguments: values)
                    deleted += db.changesCount
                    try db.execute(
                        sql: "DELETE FROM embedsync_failures WHERE target = ? AND row_id IN (\(placeholders))",
                        arguments: [self.targetTable] + values)
                }
                return deleted
            }
        }
    }

    /// Ids in chunks of at most 10,000 (SQLite binds at most 32,766 values per statement): `?,?,…` and the values.
    static func idChunks(_ ids: [RowID]) -> [(placeholders: String, values: StatementArguments)] {
        stride(from: 0, to: ids.count, by: 10_000).map { start in
            let slice = ids[start..<min(ids.count, start + 10_000)]
            return (
                Array(repeating: "?", count: slice.count).joined(separator: ","),
                StatementArguments(slice.map(\.databaseValue))
            )
        }
    }
}
