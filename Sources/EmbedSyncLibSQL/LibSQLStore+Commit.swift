import EmbedSyncCore
import Foundation

extension LibSQLStore {
    /// Stores one batch in one transaction: vectors, cleared and new failures, the run counters, and the release of
    /// this run's claims on the batch's rows.
    ///
    /// The transaction is two pipelines on one stream: the first takes the write lock and reads what the batch
    /// depends on (the rows' current source fields, their stored failures); the second writes and commits. Rows whose
    /// source text changed or that were deleted since they were read are not stored: they stay stale, or gone.
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
        let creates = createTableStatements(dimensions: batch.model.dimensions)
        let fields = batch.classifier?.template.fields ?? []
        let recheck = batch.classifier != nil && !batch.embedded.isEmpty
        var reads = creates
        reads.append(
            HranaStatement(
                recheck
                    ? "SELECT \(([schema.idColumn] + fields).map { quoteIdentifier($0) }.joined(separator: ", ")) "
                        + "FROM \(sourceSQL) AS s WHERE \(quoteIdentifier(schema.idColumn)) "
                        + "IN (SELECT value FROM json_each(?))"
                    : "SELECT NULL WHERE ? IS NULL",
                [recheck ? LibSQLStore.jsonIDs(batch.embedded.map(\.id)) : .null]))
        reads.append(
            HranaStatement(
                "SELECT row_id, runs, content_hash, last_run FROM embedsync_failures "
                    + "WHERE target = ? AND row_id IN (SELECT value FROM json_each(?))",
                [.text(targetTable), LibSQLStore.jsonIDs(batch.failed.map(\.id))]))
        _ = try await client.transaction(reads: reads) { results in
            let current = results[creates.count]
            let failures = results[creates.count + 1]
            var kept = batch.embedded
            if recheck, let classifier = batch.classifier {
                var currentHash: [RowID: String] = [:]
                for row in LibSQLStore.sourceRows(current, fields: fields) {
                    currentHash[row.id] = classifier.contentHash(text: classifier.template.render(row.values))
                }
                kept = batch.embedded.filter { currentHash[$0.id] == $0.contentHash }
            }
            return writes(batch, kept: kept, failures: failures, schema: schema, claimsExist: claimsExist)
        }
        rememberCreatedTables()
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

    private func writes(
        _ batch: BatchCommit, kept: [EmbeddedRow], failures: HranaResult, schema: SourceSchema, claimsExist: Bool
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
                "UPDATE embedsync_runs SET embedded = embedded + ?, failed = failed + ?, tokens = tokens + ?, "
                    + "cost_usd = cost_usd + ?, requests = requests + ? "
                    + "WHERE id = ? AND target = ?",
                [
                    .integer(Int64(kept.count)), .integer(Int64(batch.failed.count)), .integer(Int64(batch.tokens)),
                    .float(batch.costUSD), .integer(Int64(batch.requests)), .text(run.id),
                    .text(targetTable),
                ], wantRows: false),
        ]
        statements += vectorWrites(kept, model: batch.model, schema: schema, now: now)
        if !kept.isEmpty {
            statements.append(
                HranaStatement(
                    "DELETE FROM embedsync_failures WHERE target = ? AND row_id IN (SELECT value FROM json_each(?))",
                    [.text(targetTable), LibSQLStore.jsonIDs(kept.map(\.id))], wantRows: false))
        }
        var previous: [RowID: (runs: Int, contentHash: String?, lastRun: String?)] = [:]
        for row in failures.rows {
            guard let id = LibSQLStore.rowID(row[0]) else { continue }
            previous[id] = (Int(row[1].int ?? 0), row[2].string, row[3].string)
        }
        for row in batch.failed {
            let runs = FailureCounting.runs(previous: previous[row.id], contentHash: row.contentHash, runID: run.id)
            previous[row.id] = (runs, row.contentHash, run.id)
            statements.append(
                HranaStatement(
                    """
                    INSERT INTO embedsync_failures (target, row_id, content_hash, error_class, message, attempts, runs,
                        last_run, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(target, row_id) DO UPDATE SET
                        runs = excluded.runs, attempts = attempts + excluded.attempts,
                        content_hash = excluded.content_hash, error_class = excluded.error_class,
                        message = excluded.message, last_run = excluded.last_run, updated_at = excluded.updated_at
                    """,
                    [
                        .text(targetTable), LibSQLStore.value(row.id), .text(row.contentHash), .text(row.errorClass),
                        .text(String(row.message.prefix(2000))), .integer(Int64(row.attempts)),
                        .integer(Int64(runs)), .text(run.id), .float(now),
                    ], wantRows: false))
        }
        if claimsExist {
            statements += releaseAndRefresh(
                batch.embedded.map(\.id) + batch.failed.map(\.id), runID: run.id, now: now)
        }
        return statements
    }

    /// Upserts of the vectors (table mode: many rows per statement), or column updates plus side-table rows.
    private func vectorWrites(
        _ rows: [EmbeddedRow], model: ModelIdentity, schema: SourceSchema, now: Double
    ) -> [HranaStatement] {
        let target = quoteIdentifier(targetTable)
        var statements: [HranaStatement] = []
        switch configuration.target {
        case .column(let column):
            guard case .table(let table) = configuration.source else { return [] }
            for row in rows {
                statements.append(
                    HranaStatement(
                        "UPDATE \(quoteIdentifier(table)) SET \(quoteIdentifier(column)) = ? "
                            + "WHERE \(quoteIdentifier(schema.idColumn)) = ?",
                        [.blob(LibSQLStore.encode(row.vector)), LibSQLStore.value(row.id)], wantRows: false))
            }
            for chunk in stride(from: 0, to: rows.count, by: 500) {
                let slice = rows[chunk..<min(rows.count, chunk + 500)]
                var args: [HranaValue] = []
                for row in slice {
                    args += [
                        LibSQLStore.value(row.id), .text(row.contentHash), .text(model.storageKey),
                        .integer(Int64(model.dimensions)), .float(now),
                    ]
                }
                statements.append(
                    HranaStatement(
                        "INSERT INTO \(target) (id, content_hash, model, dimensions, updated_at) VALUES "
                            + Array(repeating: "(?, ?, ?, ?, ?)", count: slice.count).joined(separator: ", ")
                            + " ON CONFLICT(id) DO UPDATE SET content_hash = excluded.content_hash, "
                            + "model = excluded.model, dimensions = excluded.dimensions, "
                            + "updated_at = excluded.updated_at",
                        args, wantRows: false))
            }
        case .table:
            for chunk in stride(from: 0, to: rows.count, by: 200) {
                let slice = rows[chunk..<min(rows.count, chunk + 200)]
                var args: [HranaValue] = []
                for row in slice {
                    args += [
                        LibSQLStore.value(row.id), .blob(LibSQLStore.encode(row.vector)), .text(row.contentHash),
                        .text(model.storageKey), .integer(Int64(model.dimensions)),
                        configuration.storeText ? .text(row.text) : .null, .float(now), .float(now),
                    ]
                }
                statements.append(
                    HranaStatement(
                        "INSERT INTO \(target) (id, embedding, content_hash, model, dimensions, text, created_at, "
                            + "updated_at) VALUES "
                            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: slice.count).joined(separator: ", ")
                            + " ON CONFLICT(id) DO UPDATE SET embedding = excluded.embedding, "
                            + "content_hash = excluded.content_hash, model = excluded.model, "
                            + "dimensions = excluded.dimensions, text = excluded.text, "
                            + "updated_at = excluded.updated_at",
                        args, wantRows: false))
            }
        }
        return statements
    }
}
