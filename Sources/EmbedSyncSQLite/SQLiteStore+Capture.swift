import EmbedSyncCore
import GRDB

extension SQLiteStore: ChangeCapturingStore {
    func captureLayout() async throws -> CaptureLayout {
        let schema = try await sourceSchema()
        return try CaptureLayout(
            target: targetTable, source: configuration.source, idColumn: schema.idColumn, columnMode: isColumnMode)
    }

    public func enableChangeCapture() async throws {
        let layout = try await captureLayout()
        try await database("change capture") {
            try enableWALIfNeeded()
            try await queue.write { db in
                for statement in layout.sqliteInstall { try db.execute(sql: statement) }
                try db.execute(
                    sql: "INSERT OR IGNORE INTO embedsync_capture (target, source) VALUES (?, ?)",
                    arguments: [layout.target, layout.source])
            }
        }
    }

    public func disableChangeCapture() async throws -> Bool {
        let layout = try await captureLayout()
        return try await database("change capture") {
            try await queue.write { db in
                for statement in layout.sqliteRemove { try db.execute(sql: statement) }
                guard try db.tableExists("embedsync_capture") else { return false }
                try db.execute(sql: "DELETE FROM embedsync_capture WHERE target = ?", arguments: [layout.target])
                return db.changesCount > 0
            }
        }
    }

    public func changeCapture() async throws -> CaptureState? {
        guard CaptureLayout.supports(configuration.source, columnMode: isColumnMode) else { return nil }
        let layout = try await captureLayout()
        return try await database("change capture") {
            try await queue.read { db -> CaptureState? in
                guard try db.tableExists("embedsync_capture"), try db.tableExists(layout.changes),
                    let row = try Row.fetchOne(
                        db, sql: "SELECT fingerprint, full_check_at FROM embedsync_capture WHERE target = ?",
                        arguments: [layout.target])
                else { return nil }
                let changes = quoteIdentifier(layout.changes)
                let counts = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(max(seq), 0) FROM \(changes)")
                var fullCheck: FullCheck?
                if let fingerprint = row[0] as String?, let at = row[1] as Double? {
                    fullCheck = FullCheck(fingerprint: fingerprint, startedAt: at)
                }
                return CaptureState(
                    pending: counts?[0] ?? 0, latest: counts?[1] ?? 0, everything: false, fullCheck: fullCheck)
            }
        }
    }

    public func capturedChanges(after: Int64, upTo: Int64, limit: Int) async throws -> [CapturedChange] {
        let layout = try await captureLayout()
        return try await database("change capture") {
            try await queue.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT seq, row_id FROM \(quoteIdentifier(layout.changes)) WHERE seq > ? AND seq <= ?
                        ORDER BY seq LIMIT ?
                        """,
                    arguments: [after, upTo, limit]
                ).map { CapturedChange(sequence: $0[0], id: RowID($0[1] as DatabaseValue)) }
            }
        }
    }

    public func consumeChanges(upTo: Int64, requeue: [RowID], fullCheck: FullCheck?) async throws {
        let layout = try await captureLayout()
        try await database("change capture") {
            try await queue.write { db in
                let changes = quoteIdentifier(layout.changes)
                try db.execute(sql: "DELETE FROM \(changes) WHERE seq <= ?", arguments: [upTo])
                for id in requeue {
                    try db.execute(sql: "INSERT INTO \(changes) (row_id) VALUES (?)", arguments: [id.databaseValue])
                }
                if let fullCheck {
                    try db.execute(
                        sql: "UPDATE embedsync_capture SET fingerprint = ?, full_check_at = ? WHERE target = ?",
                        arguments: [fullCheck.fingerprint, fullCheck.startedAt, layout.target])
                }
            }
        }
    }

    public func pruneOrphans(ids: [RowID], run: RunRecord) async throws -> Int {
        guard !ids.isEmpty, !configuration.readOnly else { return 0 }
        let schema = try await sourceSchema()
        return try await database("prune") {
            try await queue.write { db in
                guard try db.tableExists(self.targetTable) else { return 0 }
                let gone =
                    "NOT EXISTS (SELECT 1 FROM \(self.sourceSQL) AS s WHERE s.\(quoteIdentifier(schema.idColumn)) = ?)"
                var deleted = 0
                for id in ids {
                    try db.execute(
                        sql: "DELETE FROM \(quoteIdentifier(self.targetTable)) WHERE id = ? AND \(gone)",
                        arguments: [id.databaseValue, id.databaseValue])
                    deleted += db.changesCount
                    if try db.tableExists("embedsync_failures") {
                        try db.execute(
                            sql: "DELETE FROM embedsync_failures WHERE target = ? AND row_id = ? AND \(gone)",
                            arguments: [self.targetTable, id.databaseValue, id.databaseValue])
                    }
                }
                if deleted > 0 {
                    try self.createTables(db, dimensions: run.model.dimensions)
                    try self.upsertRun(db, run, delta: nil)
                }
                return deleted
            }
        }
    }
}
