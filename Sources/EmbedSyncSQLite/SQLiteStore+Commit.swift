import EmbedSyncCore
import Foundation
import GRDB

extension SQLiteStore {
    /// Switches the file to WAL mode once, just before the first write (so failed runs leave the file untouched).
    func enableWALIfNeeded() throws {
        guard !state.withLock({ $0.walEnabled }) else { return }
        try queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode=WAL")
        }
        state.withLock { $0.walEnabled = true }
    }

    /// Stores one batch in one transaction: vectors, cleared and new failures, and the run counters.
    ///
    /// Rows whose source text changed or that were deleted since they were read (the classifier re-renders their
    /// current fields inside the transaction) are not stored: they stay stale, or gone, for the next run.
    /// - Throws: ``EmbedSyncError`` (`.database`) when a vector's length is not the model's dimensions; nothing is
    /// written.
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
        try await database("commit") {
            try enableWALIfNeeded()
            try await queue.write { db in
                try self.createTables(db, dimensions: batch.model.dimensions)
                let kept = try self.currentRows(db, batch: batch, schema: schema)
                var counted = batch
                counted.embedded = kept
                try self.upsertRun(db, batch.run, delta: counted)
                let now = unixTime()
                for row in kept {
                    try self.storeVector(db, row, model: batch.model, schema: schema, now: now)
                }
                try self.storeChunks(db, kept, model: batch.model)
                if !kept.isEmpty {
                    let delete = try db.cachedStatement(
                        sql: "DELETE FROM embedsync_failures WHERE target = ? AND row_id = ?")
                    for row in kept {
                        try delete.execute(arguments: [self.targetTable, row.id.databaseValue])
                    }
                }
                for row in batch.failed {
                    try self.recordFailure(db, row, runID: batch.run.id, now: now)
                }
            }
        }
    }

    /// The embedded rows whose source row still exists and still renders to the text that was embedded.
    private func currentRows(_ db: Database, batch: BatchCommit, schema: SourceSchema) throws -> [EmbeddedRow] {
        guard let classifier = batch.classifier, !batch.embedded.isEmpty else { return batch.embedded }
        let fields = classifier.template.fields
        var currentHash: [RowID: String] = [:]
        for row in try fetchRows(db, ids: batch.embedded.map(\.id), fields: fields, schema: schema) {
            currentHash[row.id] = classifier.contentHash(text: classifier.template.render(row.values))
        }
        return batch.embedded.filter { currentHash[$0.id] == $0.contentHash }
    }

    private func storeVector(
        _ db: Database, _ row: EmbeddedRow, model: ModelIdentity, schema: SourceSchema, now: Double
    ) throws {
        let blob = VectorCodec.encode(row.vector)
        let target = quoteIdentifier(targetTable)
        switch configuration.target {
        case .column(let column):
            guard case .table(let table) = configuration.source else { return }
            try db.cachedStatement(
                sql:
                    """
                    UPDATE \(quoteIdentifier(table)) SET \(quoteIdentifier(column)) = ? WHERE \
                    \(quoteIdentifier(schema.idColumn)) = ?
                    """
            ).execute(arguments: [blob, row.id.databaseValue])
            try db.cachedStatement(
                sql: """
                    INSERT INTO \(target) (id, content_hash, model, dimensions, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET content_hash = excluded.content_hash, model = excluded.model,
                        dimensions = excluded.dimensions, updated_at = excluded.updated_at
                    """
            ).execute(arguments: [row.id.databaseValue, row.contentHash, model.storageKey, model.dimensions, now])
        case .table:
            // Bound as UTF-8 bytes and cast, because text bound as a string ends at its first NUL.
            let text: Data? = configuration.storeText ? Data(row.text.utf8) : nil
            try db.cachedStatement(
                sql: """
                    INSERT INTO \(target) (id, embedding, content_hash, model, dimensions, text, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, CAST(? AS TEXT), ?, ?)
                    ON CONFLICT(id) DO UPDATE SET embedding = excluded.embedding, content_hash = excluded.content_hash,
                        model = excluded.model, dimensions = excluded.dimensions, text = excluded.text, updated_at =
                            excluded.updated_at
                    """
            ).execute(arguments: [
                row.id.databaseValue, blob, row.contentHash, model.storageKey, model.dimensions, text, now, now,
            ])
        }
    }

    /// Records a failure, counting failed runs by ``FailureCounting`` (the one rule every store applies).
    private func recordFailure(_ db: Database, _ row: FailedRow, runID: String, now: Double) throws {
        let stored = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT runs, content_hash, last_run FROM embedsync_failures WHERE target = ? AND row_id = ?"),
            arguments: [targetTable, row.id.databaseValue])
        let previous = stored.map {
            (runs: $0["runs"] as Int, contentHash: $0["content_hash"] as String?, lastRun: $0["last_run"] as String?)
        }
        let runs = FailureCounting.runs(previous: previous, contentHash: row.contentHash, runID: runID)
        try db.cachedStatement(
            sql: """
                INSERT INTO embedsync_failures (target, row_id, content_hash, error_class, message, attempts, runs,
                    last_run, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(target, row_id) DO UPDATE SET
                    runs = excluded.runs, attempts = attempts + excluded.attempts, content_hash = excluded.content_hash,
                    error_class = excluded.error_class, message = excluded.message,
                    last_run = excluded.last_run, updated_at = excluded.updated_at
                """
        ).execute(arguments: [
            targetTable, row.id.databaseValue, row.contentHash, row.errorClass, String(row.message.prefix(2000)),
            row.attempts, runs,
            runID, now,
        ])
    }

    func upsertRun(_ db: Database, _ run: RunRecord, delta: BatchCommit?) throws {
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO embedsync_runs (id, target, started_at, status, provider, model, dimensions)
                VALUES (?, ?, ?, 'running', ?, ?, ?)
                """
        ).execute(arguments: [
            run.id, targetTable, run.startedAt, run.model.provider, run.model.model, run.model.dimensions,
        ])
        if let delta {
            try db.cachedStatement(
                sql: """
                    UPDATE embedsync_runs SET embedded = embedded + ?, failed = failed + ?, tokens = tokens + ?,
                        cost_usd = cost_usd + ?, requests = requests + ? WHERE id = ?
                    """
            ).execute(arguments: [
                delta.embedded.count, delta.failed.count, delta.tokens, delta.costUSD, delta.requests, run.id,
            ])
        }
    }
}

/// Vectors as little-endian float32 bytes: libSQL's `F32_BLOB` layout.
public enum VectorCodec {
    public static func encode(_ vector: [Float]) -> Data {
        var data = Data(count: vector.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (index, value) in vector.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        return data
    }

    /// - Returns: `nil` when the byte count is not a multiple of 4.
    public static func decode(_ data: Data) -> [Float]? {
        guard data.count % 4 == 0 else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
    }
}
