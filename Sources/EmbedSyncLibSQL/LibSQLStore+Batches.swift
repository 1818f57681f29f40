import EmbedSyncCore

/// The Batch API's bookkeeping on libSQL: the same tables as on SQLite (``BatchTables``), written through Hrana.
extension LibSQLStore: BatchTrackingStore {
    public func pendingBatches() async throws -> [PendingBatch] {
        guard try await tableExists(BatchTables.batches) else { return [] }
        let result = try await client.execute(
            HranaStatement(
                """
                SELECT file_id, batch_id, status, model, created_at, requests, tokens, completed, failed
                FROM embedsync_batches WHERE target = ? ORDER BY created_at, file_id
                """, [.text(targetTable)]))
        return result.rows.map { row in
            PendingBatch(
                fileID: row[0].string ?? "", batchID: row[1].string,
                status: BatchStatus(rawValue: row[2].string ?? "") ?? .submitting, model: row[3].string ?? "",
                createdAt: row[4].double ?? 0, requests: Int(row[5].int ?? 0), tokens: Int(row[6].int ?? 0),
                completed: Int(row[7].int ?? 0), failed: Int(row[8].int ?? 0))
        }
    }

    public func batchRequests(fileID: String) async throws -> [BatchRequestRecord] {
        guard try await tableExists(BatchTables.requests) else { return [] }
        let result = try await client.execute(
            HranaStatement(
                """
                SELECT custom_id, line, row_id, content_hash, chunk FROM embedsync_batch_requests
                WHERE target = ? AND file_id = ? ORDER BY line
                """, [.text(targetTable), .text(fileID)]))
        return result.rows.compactMap { row in
            LibSQLStore.rowID(row[2]).map {
                BatchRequestRecord(
                    customID: row[0].string ?? "", line: Int(row[1].int ?? 0), rowID: $0,
                    contentHash: row[3].string ?? "", chunk: Int(row[4].int ?? 0))
            }
        }
    }

    public func pendingRows(_ ids: [RowID]) async throws -> Set<RowID> {
        guard !ids.isEmpty, try await tableExists(BatchTables.requests) else { return [] }
        let result = try await client.execute(
            HranaStatement(
                """
                SELECT row_id FROM embedsync_batch_requests
                WHERE target = ? AND row_id IN (SELECT value FROM json_each(?))
                """, [.text(targetTable), LibSQLStore.jsonIDs(ids)]))
        return Set(result.rows.compactMap { LibSQLStore.rowID($0[0]) })
    }

    public func recordBatch(_ batch: PendingBatch, requests: [BatchRequestRecord]) async throws {
        var statements = BatchTables.sqliteCreate.map { HranaStatement($0, wantRows: false) }
        statements.append(
            HranaStatement(
                """
                INSERT INTO embedsync_batches (target, file_id, batch_id, status, model, created_at, updated_at,
                    requests, tokens) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(targetTable), .text(batch.fileID), .text(batch.status.rawValue), .text(batch.model),
                    .float(batch.createdAt), .float(batch.createdAt), .integer(Int64(batch.requests)),
                    .integer(Int64(batch.tokens)),
                ], wantRows: false))
        for request in requests {
            statements.append(
                HranaStatement(
                    """
                    INSERT INTO embedsync_batch_requests (target, file_id, custom_id, line, row_id, content_hash, chunk)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(targetTable), .text(batch.fileID), .text(request.customID), .integer(Int64(request.line)),
                        LibSQLStore.value(request.rowID), .text(request.contentHash), .integer(Int64(request.chunk)),
                    ], wantRows: false))
        }
        do {
            _ = try await client.batch(statements)
        } catch let error as EmbedSyncError where String(describing: error).contains("UNIQUE constraint") {
            throw BatchTables.alreadyPending(String(describing: error))
        }
    }

    public func updateBatch(_ batch: PendingBatch) async throws {
        _ = try await client.execute(
            HranaStatement(
                """
                UPDATE embedsync_batches SET batch_id = ?, status = ?, completed = ?, failed = ?, updated_at = ?
                WHERE target = ? AND file_id = ?
                """,
                [
                    batch.batchID.map { .text($0) } ?? .null, .text(batch.status.rawValue),
                    .integer(Int64(batch.completed)), .integer(Int64(batch.failed)), .float(unixTime()),
                    .text(targetTable), .text(batch.fileID),
                ], wantRows: false))
    }

    public func removeBatch(fileID: String) async throws {
        guard try await tableExists(BatchTables.batches) else { return }
        _ = try await client.batch(
            [BatchTables.requests, BatchTables.batches].map { table in
                HranaStatement(
                    "DELETE FROM \(table) WHERE target = ? AND file_id = ?", [.text(targetTable), .text(fileID)],
                    wantRows: false)
            })
    }
}
