import EmbedSyncCore
import Foundation
import GRDB

extension SQLiteStore {
    /// `DELETE … WHERE id NOT IN (source ids)` for the target, plus stale failure records.
    public func pruneOrphans(run: RunRecord) async throws -> Int {
        let schema = try await sourceSchema()
        guard !configuration.readOnly else { return 0 }
        let orphans = try await countOrphans()
        guard orphans > 0 else { return 0 }
        return try await database("prune") {
            try enableWALIfNeeded()
            return try await queue.write { db in
                let ids = "SELECT \(quoteIdentifier(schema.idColumn)) FROM \(self.sourceSQL)"
                try db.execute(sql: "DELETE FROM \(quoteIdentifier(self.targetTable)) WHERE id NOT IN (\(ids))")
                let deleted = db.changesCount
                if try db.tableExists("embedsync_failures") {
                    try db.execute(
                        sql: "DELETE FROM embedsync_failures WHERE target = ? AND row_id NOT IN (\(ids))",
                        arguments: [self.targetTable])
                }
                try self.createTables(db, dimensions: run.model.dimensions)
                try self.upsertRun(db, run, delta: nil)
                return deleted
            }
        }
    }

    public func countOrphans() async throws -> Int {
        let schema = try await sourceSchema()
        return try await database("orphan count") {
            try await queue.read { db in
                guard try db.tableExists(self.targetTable) else { return 0 }
                let ids = "SELECT \(quoteIdentifier(schema.idColumn)) FROM \(self.sourceSQL)"
                return try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM \(quoteIdentifier(self.targetTable)) WHERE id NOT IN (\(ids))") ?? 0
            }
        }
    }

    public func finishRun(_ run: RunRecord) async throws {
        try await database("run record") {
            try enableWALIfNeeded()
            try await queue.write { db in
                try self.createTables(db, dimensions: run.model.dimensions)
                try self.upsertRun(db, run, delta: nil)
                try db.execute(
                    sql: """
                        UPDATE embedsync_runs SET finished_at = ?, status = ?, selected = ?, skipped = ?, pruned = ?,
                            embedded = ?, failed = ?, tokens = ?, cost_usd = ?, requests = ? WHERE id = ?
                        """,
                    arguments: [
                        run.finishedAt, run.status, run.selected, run.skipped, run.pruned, run.embedded, run.failed,
                        run.tokens,
                        run.costUSD, run.requests, run.id,
                    ])
            }
        }
    }

    public func lastRun() async throws -> RunRecord? {
        try await database("run read") {
            try await queue.read { db in
                guard try db.tableExists("embedsync_runs") else { return nil }
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT * FROM embedsync_runs WHERE target = ? ORDER BY started_at DESC LIMIT 1",
                        arguments: [self.targetTable])
                else { return nil }
                let model = ModelIdentity(provider: row["provider"], model: row["model"], dimensions: row["dimensions"])
                var run = RunRecord(id: row["id"], startedAt: row["started_at"], model: model)
                run.finishedAt = row["finished_at"]
                run.status = row["status"]
                run.selected = row["selected"]
                run.embedded = row["embedded"]
                run.failed = row["failed"]
                run.skipped = row["skipped"]
                run.pruned = row["pruned"]
                run.tokens = row["tokens"]
                run.costUSD = row["cost_usd"]
                run.requests = row["requests"]
                return run
            }
        }
    }

    public func failures(limit: Int) async throws -> [FailureRecord] {
        try await database("failure read") {
            try await queue.read { db in
                guard try db.tableExists("embedsync_failures") else { return [] }
                return try Row.fetchAll(
                    db,
                    sql: "SELECT * FROM embedsync_failures WHERE target = ? ORDER BY updated_at DESC, row_id LIMIT ?",
                    arguments: [self.targetTable, limit]
                ).compactMap { row in
                    guard let id = RowID(row["row_id"] as DatabaseValue) else { return nil }
                    return FailureRecord(
                        id: id, errorClass: row["error_class"], message: row["message"], attempts: row["attempts"],
                        runs: row["runs"],
                        updatedAt: row["updated_at"])
                }
            }
        }
    }

    public func reset() async throws {
        try await database("reset") {
            try await queue.write { db in
                if case .column(let column) = self.configuration.target,
                    case .table(let table) = self.configuration.source
                {
                    try db.execute(sql: "UPDATE \(quoteIdentifier(table)) SET \(quoteIdentifier(column)) = NULL")
                }
                try db.execute(sql: self.chunkSQL.drop)
                try db.execute(sql: "DROP TABLE IF EXISTS \(quoteIdentifier(self.targetTable))")
                for table in ["embedsync_failures", "embedsync_runs", BatchTables.requests, BatchTables.batches]
                where try db.tableExists(table) {
                    try db.execute(sql: "DELETE FROM \(table) WHERE target = ?", arguments: [self.targetTable])
                }
            }
        }
    }

    /// The lock file beside the database, one per target table.
    var lockPath: String {
        let safe = targetTable.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" }
        return configuration.path + ".embedsync-\(String(safe)).lock"
    }

    public func acquireRunGuard(wait: Bool) async throws -> Bool {
        try await acquireRunGuard(wait: wait, timeout: nil)
    }

    /// Polls the lock file's `flock` every 200 ms until it is free, or `timeout` seconds have passed.
    public func acquireRunGuard(wait: Bool, timeout: Double?) async throws -> Bool {
        let deadline = timeout.map { ContinuousClock.now + .milliseconds(Int64($0 * 1000)) }
        while true {
            let lock: FileLock?
            do {
                lock = try FileLock.tryLock(path: lockPath)
            } catch {
                throw EmbedSyncError(
                    .database, "Cannot create the run lock '\(lockPath)': \(error). Check that its folder is writable.",
                    underlying: error)
            }
            if let lock {
                state.withLock { $0.lock = lock }
                return true
            }
            if !wait { return false }
            if let deadline, ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Indexes a target made before the freshness index existed (once: a few seconds for a million rows).
    public func prepareRun() async throws {
        guard !configuration.readOnly else { return }
        let missing = try await database("freshness index") {
            try await queue.read { db in try db.tableExists(self.targetTable) && !self.hasFreshnessIndex(db) }
        }
        guard missing, !isColumnMode else { return }
        try await database("freshness index") {
            try enableWALIfNeeded()
            try await queue.write { db in try self.createFreshnessIndex(db) }
        }
    }

    public func releaseRunGuard() async {
        let lock = state.withLock { state -> FileLock? in
            defer { state.lock = nil }
            return state.lock
        }
        lock?.unlock()
    }
}
