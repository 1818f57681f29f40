import EmbedSyncCore
import PostgresNIO

/// The Batch API's bookkeeping in the target's schema (`embedsync_batches`, `embedsync_batch_requests`), beside the
/// vectors; the unique key on (target, row_id, chunk) keeps a row in at most one pending batch, across workers.
extension PostgresStore: BatchTrackingStore {
    private func batchTables() async throws -> (batches: String, requests: String, target: String, layout: Layout) {
        let layout = try await layout()
        return (
            qualified(layout.targetSchema, BatchTables.batches), qualified(layout.targetSchema, BatchTables.requests),
            layout.targetName, layout
        )
    }

    public func pendingBatches() async throws -> [PendingBatch] {
        let tables = try await batchTables()
        return try await database("batch bookkeeping") {
            guard try await tableExists(tables.batches) else { return [] }
            var builder = SQLBuilder()
            builder.sql = """
                SELECT file_id, batch_id, status, model, created_at, requests, tokens, completed, failed
                FROM \(tables.batches) WHERE target = \(builder.bind(tables.target)) ORDER BY created_at, file_id
                """
            let query = builder.query
            return try await bounded { [client, logger] in
                try await client.query(query, logger: logger).collect().map { row in
                    let (file, batch, status, model, created, requests, tokens, completed, failed) = try row.decode(
                        (String, String?, String, String, Double, Int64, Int64, Int64, Int64).self)
                    return PendingBatch(
                        fileID: file, batchID: batch, status: BatchStatus(rawValue: status) ?? .submitting,
                        model: model, createdAt: created, requests: Int(requests), tokens: Int(tokens),
                        completed: Int(completed), failed: Int(failed))
                }
            }
        }
    }

    public func batchRequests(fileID: String) async throws -> [BatchRequestRecord] {
        let tables = try await batchTables()
        return try await database("batch bookkeeping") {
            guard try await tableExists(tables.requests) else { return [] }
            var builder = SQLBuilder()
            builder.sql = """
                SELECT custom_id, line, row_id, content_hash, chunk FROM \(tables.requests)
                WHERE target = \(builder.bind(tables.target)) AND file_id = \(builder.bind(fileID)) ORDER BY line
                """
            let query = builder.query
            let layout = tables.layout
            return try await bounded { [client, logger] in
                try await client.query(query, logger: logger).collect().map { row in
                    let (custom, line, id, hash, chunk) = try row.decode((String, Int64, String, String, Int64).self)
                    return BatchRequestRecord(
                        customID: custom, line: Int(line), rowID: PostgresStore.rowID(id, layout: layout),
                        contentHash: hash, chunk: Int(chunk))
                }
            }
        }
    }

    public func pendingRows(_ ids: [RowID]) async throws -> Set<RowID> {
        guard !ids.isEmpty else { return [] }
        let tables = try await batchTables()
        return try await database("batch bookkeeping") {
            guard try await tableExists(tables.requests) else { return [] }
            var builder = SQLBuilder()
            builder.sql = """
                SELECT row_id FROM \(tables.requests) WHERE target = \(builder.bind(tables.target))
                    AND row_id = ANY(\(builder.bind(ids.map(\.description)))::text[])
                """
            let query = builder.query
            let layout = tables.layout
            return try await bounded { [client, logger] in
                Set(
                    try await client.query(query, logger: logger).collect().map {
                        PostgresStore.rowID(try $0.decode(String.self), layout: layout)
                    })
            }
        }
    }

    public func recordBatch(_ batch: PendingBatch, requests: [BatchRequestRecord]) async throws {
        let tables = try await batchTables()
        do {
            try await database("batch bookkeeping") {
                try await transaction { [self] connection in
                    for statement in [
                        """
                        CREATE TABLE IF NOT EXISTS \(tables.batches) (
                            target text NOT NULL, file_id text NOT NULL, batch_id text, status text NOT NULL,
                            model text NOT NULL, created_at double precision NOT NULL,
                            updated_at double precision NOT NULL, requests bigint NOT NULL, tokens bigint NOT NULL,
                            completed bigint NOT NULL DEFAULT 0, failed bigint NOT NULL DEFAULT 0,
                            PRIMARY KEY (target, file_id))
                        """,
                        """
                        CREATE TABLE IF NOT EXISTS \(tables.requests) (
                            target text NOT NULL, file_id text NOT NULL, custom_id text NOT NULL, line bigint NOT NULL,
                            row_id text NOT NULL, content_hash text NOT NULL, chunk bigint NOT NULL DEFAULT 0,
                            PRIMARY KEY (target, file_id, custom_id), UNIQUE (target, row_id, chunk))
                        """,
                    ] {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    var insert = SQLBuilder()
                    insert.sql = """
                        INSERT INTO \(tables.batches) (target, file_id, batch_id, status, model, created_at,
                            updated_at, requests, tokens)
                        VALUES (\(insert.bind(tables.target)), \(insert.bind(batch.fileID)), NULL,
                            \(insert.bind(batch.status.rawValue)), \(insert.bind(batch.model)),
                            \(insert.bind(batch.createdAt)), \(insert.bind(batch.createdAt)),
                            \(insert.bind(Int64(batch.requests))), \(insert.bind(Int64(batch.tokens))))
                        """
                    try await connection.query(insert.query, logger: logger)
                    for start in stride(from: 0, to: requests.count, by: 5000) {
                        let part = requests[start..<min(start + 5000, requests.count)]
                        var lines = SQLBuilder()
                        lines.sql = """
                            INSERT INTO \(tables.requests) (target, file_id, custom_id, line, row_id, content_hash,
                                chunk)
                            SELECT \(lines.bind(tables.target)), \(lines.bind(batch.fileID)), * FROM unnest(
                                \(lines.bind(part.map(\.customID)))::text[],
                                \(lines.bind(part.map { Int64($0.line) }))::bigint[],
                                \(lines.bind(part.map(\.rowID.description)))::text[],
                                \(lines.bind(part.map(\.contentHash)))::text[],
                                \(lines.bind(part.map { Int64($0.chunk) }))::bigint[])
                            """
                        try await connection.query(lines.query, logger: logger)
                    }
                }
            }
        } catch let error as EmbedSyncError where error.sqlState == "23505" {
            throw BatchTables.alreadyPending(String(describing: error))
        }
        state.withLock { $0.existing.formUnion([tables.batches, tables.requests]) }
    }

    public func updateBatch(_ batch: PendingBatch) async throws {
        let tables = try await batchTables()
        try await database("batch bookkeeping") {
            var builder = SQLBuilder()
            builder.sql = """
                UPDATE \(tables.batches) SET batch_id = NULLIF(\(builder.bind(batch.batchID ?? "")), ''),
                    status = \(builder.bind(batch.status.rawValue)),
                    completed = \(builder.bind(Int64(batch.completed))),
                    failed = \(builder.bind(Int64(batch.failed))), updated_at = \(builder.bind(unixTime()))
                WHERE target = \(builder.bind(tables.target)) AND file_id = \(builder.bind(batch.fileID))
                """
            let query = builder.query
            _ = try await bounded { [client, logger] in try await client.query(query, logger: logger).collect() }
        }
    }

    public func removeBatch(fileID: String) async throws {
        let tables = try await batchTables()
        try await database("batch bookkeeping") {
            guard try await tableExists(tables.batches) else { return }
            try await transaction { [self] connection in
                for table in [tables.requests, tables.batches] {
                    var builder = SQLBuilder()
                    builder.sql = """
                        DELETE FROM \(table) WHERE target = \(builder.bind(tables.target))
                            AND file_id = \(builder.bind(fileID))
                        """
                    try await connection.query(builder.query, logger: logger)
                }
            }
        }
    }
}
