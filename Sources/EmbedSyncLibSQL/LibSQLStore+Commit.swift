import EmbedSyncCore
import Foundation

extension LibSQLStore {
    /// Stores one batch in one transaction sent as one HTTP request: vectors, cleared and new failures, the run
    /// counters, and the release of this run's claims on the batch's rows.
    ///
    /// The request is a single pipeline: a batch of `BEGIN IMMEDIATE`, the writes (each step only when the one before
    /// succeeded), `COMMIT`, `ROLLBACK` when `COMMIT` did not run, then `close`. Nothing is decided between requests:
    ///
    /// - The content-hash re-check is done by the SQL. Each vector is written only when its source row still exists
    ///   and still holds the template fields the scan read (``EmbeddedRow/sourceValues``), compared value by value the
    ///   way the scan turned them into text; the same fields render the same text, so the same hash. Rows whose source
    ///   changed or was deleted since the scan are not stored: they stay stale, or gone. Rows committed without their
    ///   scanned fields are read once before the request and kept only when those fields render to the embedded hash.
    /// - Failed runs are counted by ``FailureCounting``'s rule in its SQL form, inside the upsert.
    /// - The run's `embedded` counter adds the rows each vector statement actually wrote (`changes()`).
    /// - Throws: ``EmbedSyncError`` (`.database`) when a vector's length is not the model's dimensions; nothing is
    ///   written.
    public func commit(_ batch: BatchCommit) async throws {
        let schema = try await sourceSchema()
        if let wrong = batch.embedded.first(where: { $0.vector.count != batch.model.dimensions }) {
            throw EmbedSyncError(
                .database,
                """
                Refusing to store a \(wrong.vector.count)-dimension vector for row \(wrong.id) in a \
                \(batch.model.dimensions)-dimension target.
                """
            )
        }
        let claimsExist = try await tableExists(LibSQLStore.claimsTable)
        var kept = batch.embedded
        var fields: [String]?
        if let classifier = batch.classifier, !kept.isEmpty {
            fields = classifier.template.fields
            kept = try await withSourceValues(kept, classifier: classifier, schema: schema)
        }
        let statements =
            createTableStatements(dimensions: batch.model.dimensions)
            + writes(batch, kept: kept, fields: fields, schema: schema, claimsExist: claimsExist)
            + chunkWrites(kept, model: batch.model)
        _ = try await client.batch(statements)
        rememberCreatedTables()
    }

    /// Rows with their scanned fields; rows committed without them get the current ones when those render to the
    /// embedded hash, and are dropped otherwise (edited or deleted since: not stored).
    private func withSourceValues(
        _ rows: [EmbeddedRow], classifier: RowClassifier, schema: SourceSchema
    ) async throws -> [EmbeddedRow] {
        let fields = classifier.template.fields
        func known(_ row: EmbeddedRow) -> Bool {
            guard let values = row.sourceValues else { return false }
            return fields.allSatisfy { values.keys.contains($0) }
        }
        let missing = rows.filter { !known($0) }
        guard !missing.isEmpty else { return rows }
        let result = try await client.execute(
            HranaStatement(
                "SELECT \(([schema.idColumn] + fields).map { quoteIdentifier($0) }.joined(separator: ", ")) "
                    + "FROM \(sourceSQL) AS s WHERE \(quoteIdentifier(schema.idColumn)) "
                    + "IN (SELECT value FROM json_each(?))",
                [LibSQLStore.jsonIDs(missing.map(\.id))]))
        var current: [RowID: [String: String?]] = [:]
        for row in LibSQLStore.sourceRows(result, fields: fields) { current[row.id] = row.values }
        return rows.compactMap { row in
            if known(row) { return row }
            guard let values = current[row.id],
                classifier.contentHash(text: classifier.template.render(values)) == row.contentHash
            else { return nil }
            var row = row
            row.sourceValues = values
            return row
        }
    }

    /// Source rows (id, then fields) as scanned rows without stored state.
    static func sourceRows(_ result: HranaResult, fields: [String]) -> [ScannedRow] {
        result.rows.compactMap { row in
            guard let id = rowID(row[0]) else { return nil }
            var values: [String: String?] = [:]
            for (index, field) in fields.enumerated() { values[field] = row[index + 1].string }
            return ScannedRow(id: id, values: values)
        }
    }

    /// The batch's writes, in order: the run row, the kept vectors (each statement followed by the counter), the
    /// failures, the claims.
    private func writes(
        _ batch: BatchCommit, kept: [EmbeddedRow], fields: [String]?, schema: SourceSchema, claimsExist: Bool
    ) -> [HranaStatement] {
        let now = unixTime()
        let run = batch.run
        var statements = [
            HranaStatement(
                "INSERT OR IGNORE INTO embedsync_runs (id, target, started_at, status, provider, model, dimensions) "
                    + "VALUES (?, ?, ?, 'running', ?, ?, ?)",
                [
                    .text(run.id), .text(targetTable), .float(run.startedAt), .text(run.model.provider),
                    .text(run.model.model), .integer(Int64(run.model.dimensions)),
                ], wantRows: false),
            HranaStatement(
                "UPDATE embedsync_runs SET failed = failed + ?, tokens = tokens + ?, "
                    + "cost_usd = cost_usd + ?, requests = requests + ? "
                    + "WHERE id = ? AND target = ?",
                [
                    .integer(Int64(batch.failed.count)), .integer(Int64(batch.tokens)), .float(batch.costUSD),
                    .integer(Int64(batch.requests)), .text(run.id), .text(targetTable),
                ], wantRows: false),
        ]
        let counted = HranaStatement(
            "UPDATE embedsync_runs SET embedded = embedded + changes() WHERE id = ? AND target = ?",
            [.text(run.id), .text(targetTable)], wantRows: false)
        statements += keptWrites(
            kept, model: batch.model, fields: fields, schema: schema, now: now, counted: counted)
        for row in batch.failed {
            statements.append(
                HranaStatement(
                    """
                    INSERT INTO embedsync_failures (target, row_id, content_hash, error_class, message, attempts, runs,
                        last_run, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
                    ON CONFLICT(target, row_id) DO UPDATE SET
                        runs = \(FailureCounting.sqliteUpsertRuns), attempts = attempts + excluded.attempts,
                        content_hash = excluded.content_hash, error_class = excluded.error_class,
                        message = excluded.message, last_run = excluded.last_run, updated_at = excluded.updated_at
                    """,
                    [
                        .text(targetTable), LibSQLStore.value(row.id), .text(row.contentHash), .text(row.errorClass),
                        .text(String(row.message.prefix(2000))), .integer(Int64(row.attempts)), .text(run.id),
                        .float(now),
                    ], wantRows: false))
        }
        if claimsExist {
            statements += releaseAndRefresh(
                batch.embedded.map(\.id) + batch.failed.map(\.id), runID: run.id, now: now)
        }
        return statements
    }
}
