import EmbedSyncCore
import GRDB

/// The Batch API's bookkeeping in the SQLite file (``BatchTables``), beside the vectors.
extension SQLiteStore: BatchTrackingStore {
    public func pendingBatches() async throws -> [PendingBatch] {
        try await database("batch bookkeeping") {
            try await queue.read { db in
                guard try db.tableExists(BatchTables.batches) else { return [] }
                return try Row.fetchAll(
                    db,
                    sql: """
                        SELECT file_id, batch_id, status, model, created_at, requests, tokens, completed, failed
                        FROM embedsync_batches WHERE target = ? ORDER BY created_at, file_id
                        """,
                    arguments: [self.targetTable]
                ).map { row in
                    PendingBatch(
                        fileID: row[0], batchID: row[1], status: BatchStatus(rawValue: row[2]) ?? .submitting,
                        model: row[3], createdAt: row[4], requests: row[5], tokens: row[6], completed: row[7],
                        failed: row[8])
                }
            }
        }
    }

    public func batchRequests(fileID: String) async throws -> [BatchRequestRecord] {
        try await database("batch bookkeeping") {
            try await queue.read { db in
                guard try db.tableExists(BatchTables.requests) else { return [] }
                return try Row.fetchAll(
                    db,
                    sql: """
                        SELECT custom_id, line, row_id, content_hash, chunk FROM embedsync_batch_requests
                        WHERE target = ? AND file_id = ? ORDER BY line
                        """,
                    arguments: [self.targetTable, fileID]
                ).compactMap { row in
                    RowID(row[2] as DatabaseValue).map {
                        BatchRequestRecord(
                            customID: row[0], line: row[1], rowID: $0, contentHash: row[3], chunk: row[4])
                    }
                }
            }
        }
    }

    public func pendingRows(_ ids: [RowID]) async throws -> Set<RowID> {
        guard !ids.isEmpty else { return [] }
        return try await database("batch bookkeeping") {
            try await queue.read { db in
                guard try db.tableExists(BatchTables.requests) else { return [] }
                var pending: Set<RowID> = []
                for start in stride(from: 0, to: ids.count, by: 500) {
                    let part = ids[start..<min(start + 500, ids.count)]
                    let marks = Array(repeating: "?", count: part.count).joined(separator: ", ")
                    let rows = try DatabaseValue.fetchAll(
                        db,
                        sql: "SELECT row_id FROM embedsync_batch_requests WHERE target = ? AND row_id IN (\(marks))",
                        arguments: StatementArguments([self.targetTable.databaseValue] + part.map(\.databaseValue)))
                    for value in rows { if let id = RowID(value) { pending.insert(id) } }
                }
                return pending
            }
        }
    }

    public func recordBatch(_ batch: PendingBatch, requests: [BatchRequestRecord]) async throws {
        try await database("batch bookkeeping") {
            try enableWALIfNeeded()
            try await queue.write { db in
                for statement in BatchTables.sqliteCreate { try db.execute(sql: statement) }
                try db.execute(
                    sql: """
                        INSERT INTO embedsync_batches (target, file_id, batch_id, status, model, created_at,
                            updated_at, requests, tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        self.targetTable, batch.fileID, batch.batchID, batch.status.rawValue, batch.model,
                        batch.createdAt, batch.createdAt, batch.requests, batch.tokens,
                    ])
                let insert = try db.cachedStatement(
                    sql: """
                        INSERT INTO embedsync_batch_requests (target, file_id, custom_id, line, row_id, content_hash,
                            chunk) VALUES (?, ?, ?, ?, ?, ?, ?)
                        """)
                for request in requests {
                    do {
                        try insert.execute(arguments: [
                            self.targetTable, batch.fileID, request.customID, request.line,
                            request.rowID.databaseValue, request.contentHash, request.chunk,
                        ])
                    } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                        throw BatchTables.alreadyPending("row \(request.rowID)")
                    }
                }
            }
        }
    }

    public func updateBatch(_ batch: PendingBatch) async throws {
        try await database("batch bookkeeping") {
            try await queue.write { db in
                try db.execute(
                    sql: """
                        UPDATE embedsync_batches SET batch_id = ?, status = ?, completed = ?, failed = ?,
                            updated_at = ? WHERE target = ? AND file_id = ?
                        """,
                    arguments: [
                        batch.batchID, batch.status.rawValue, batch.completed, batch.failed, unixTime(),
                        self.targetTable, batch.fileID,
                    ])
            }
        }
    }

    public func removeBatch(fileID: String) async throws {
        try await database("batch bookkeeping") {
            try await queue.write { db in
                for table in [BatchTables.requests, BatchTables.batches] where try db.tableExists(table) {
                    try db.execute(
                        sql: "DELETE FROM \(table) WHERE target = ? AND file_id = ?",
                        arguments: [self.targetTable, fileID])
                }
            }
        }
    }
}
