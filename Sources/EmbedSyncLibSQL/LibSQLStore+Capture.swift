import EmbedSyncCore

/// Change capture on libSQL: the same triggers and change table as on SQLite, installed through Hrana.
extension LibSQLStore: ChangeCapturingStore {
    func captureLayout() async throws -> CaptureLayout {
        let schema = try await sourceSchema()
        return try CaptureLayout(
            target: targetTable, source: configuration.source, idColumn: schema.idColumn, columnMode: isColumnMode)
    }

    public func enableChangeCapture() async throws {
        let layout = try await captureLayout()
        _ = try await client.batch(
            layout.sqliteInstall.map { HranaStatement($0, wantRows: false) } + [
                HranaStatement(
                    "INSERT OR IGNORE INTO embedsync_capture (target, source) VALUES (?, ?)",
                    [.text(layout.target), .text(layout.source)], wantRows: false)
            ])
    }

    public func disableChangeCapture() async throws -> Bool {
        let layout = try await captureLayout()
        let hadState = try await tableExists("embedsync_capture")
        var statements = layout.sqliteRemove.map { HranaStatement($0, wantRows: false) }
        if hadState {
            statements.append(
                HranaStatement(
                    "DELETE FROM embedsync_capture WHERE target = ?", [.text(layout.target)], wantRows: false))
        }
        let results = try await client.batch(statements)
        forget([layout.changes])
        return hadState && (results.last?.affectedRowCount ?? 0) > 0
    }

    public func changeCapture() async throws -> CaptureState? {
        guard CaptureLayout.supports(configuration.source, columnMode: isColumnMode) else { return nil }
        let layout = try await captureLayout()
        guard try await tableExists("embedsync_capture"), try await tableExists(layout.changes) else { return nil }
        let result = try await client.execute(
            HranaStatement(
                """
                SELECT c.fingerprint, c.full_check_at, (SELECT count(*) FROM \(quoteIdentifier(layout.changes))),
                    (SELECT coalesce(max(seq), 0) FROM \(quoteIdentifier(layout.changes)))
                FROM embedsync_capture AS c WHERE c.target = ?
                """, [.text(layout.target)]))
        guard let row = result.rows.first else { return nil }
        var fullCheck: FullCheck?
        if let fingerprint = row[0].string, let at = row[1].double {
            fullCheck = FullCheck(fingerprint: fingerprint, startedAt: at)
        }
        return CaptureState(
            pending: Int(row[2].int ?? 0), latest: row[3].int ?? 0, everything: false, fullCheck: fullCheck)
    }

    public func capturedChanges(after: Int64, upTo: Int64, limit: Int) async throws -> [CapturedChange] {
        let layout = try await captureLayout()
        let result = try await client.execute(
            HranaStatement(
                "SELECT seq, row_id FROM \(quoteIdentifier(layout.changes)) WHERE seq > ? AND seq <= ? "
                    + "ORDER BY seq LIMIT ?", [.integer(after), .integer(upTo), .integer(Int64(limit))]))
        return result.rows.map { CapturedChange(sequence: $0[0].int ?? 0, id: LibSQLStore.rowID($0[1])) }
    }

    public func consumeChanges(upTo: Int64, requeue: [RowID], fullCheck: FullCheck?) async throws {
        let layout = try await captureLayout()
        let changes = quoteIdentifier(layout.changes)
        var statements = [HranaStatement("DELETE FROM \(changes) WHERE seq <= ?", [.integer(upTo)], wantRows: false)]
        statements += requeue.map {
            HranaStatement("INSERT INTO \(changes) (row_id) VALUES (?)", [LibSQLStore.value($0)], wantRows: false)
        }
        if let fullCheck {
            statements.append(
                HranaStatement(
                    "UPDATE embedsync_capture SET fingerprint = ?, full_check_at = ? WHERE target = ?",
                    [.text(fullCheck.fingerprint), .float(fullCheck.startedAt), .text(layout.target)],
                    wantRows: false))
        }
        _ = try await client.batch(statements)
    }

    public func pruneOrphans(ids: [RowID], run: RunRecord) async throws -> Int {
        guard !ids.isEmpty, try await tableExists(targetTable) else { return 0 }
        let schema = try await sourceSchema()
        let gone =
            "NOT EXISTS (SELECT 1 FROM \(sourceSQL) AS s WHERE s.\(quoteIdentifier(schema.idColumn)) = j.value)"
        let results = try await client.batch([
            HranaStatement(
                "DELETE FROM \(quoteIdentifier(targetTable)) WHERE id IN (SELECT j.value FROM json_each(?) AS j "
                    + "WHERE \(gone))", [LibSQLStore.jsonIDs(ids)], wantRows: false),
            HranaStatement(
                "DELETE FROM embedsync_failures WHERE target = ? AND row_id IN (SELECT j.value FROM json_each(?) AS j "
                    + "WHERE \(gone))", [.text(targetTable), LibSQLStore.jsonIDs(ids)], wantRows: false),
            insertRun(run),
        ])
        return results[0].affectedRowCount
    }
}
