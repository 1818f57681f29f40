import EmbedSyncCore
import PostgresNIO

extension PostgresStore {
    /// Deletes stored vectors (and failure records) whose source row is gone.
    public func pruneOrphans(run: RunRecord) async throws -> Int {
        let layout = try await layout()
        guard try await countOrphans() > 0 else { return 0 }
        return try await database("prune") {
            let deleted = try await transaction { [self] connection -> Int in
                let rows = try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            WITH gone AS (
                                DELETE FROM \(layout.target) AS t
                                WHERE NOT EXISTS (SELECT 1 FROM \(layout.sourceSQL) AS s WHERE s.\(layout.id) = t.id)
                                    RETURNING 1
                            ) SELECT count(*) FROM gone
                            """), logger: logger
                ).collect()
                if try await tableExists(layout.failures) {
                    var builder = SQLBuilder()
                    builder.sql = """
                        DELETE FROM \(layout.failures) AS f WHERE f.target = \(builder.bind(layout.targetName))
                          AND NOT EXISTS (SELECT 1 FROM \(layout.sourceSQL) AS s WHERE s.\(layout.id)::text = f.row_id)
                        """
                    try await connection.query(builder.query, logger: logger)
                }
                try await createTables(connection, layout: layout, dimensions: run.model.dimensions)
                try await upsertRun(connection, run, delta: nil, layout: layout)
                return Int(try rows.first?.decode(Int64.self) ?? 0)
            }
            markTablesCreated(layout)
            return deleted
        }
    }

    public func countOrphans() async throws -> Int {
        let layout = try await layout()
        return try await database("orphan count") {
            guard try await tableExists(layout.target) else { return 0 }
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT count(*) FROM \(layout.target) AS t
                        WHERE NOT EXISTS (SELECT 1 FROM \(layout.sourceSQL) AS s WHERE s.\(layout.id) = t.id)
                        """), logger: logger
            ).collect()
            return Int(try rows.first?.decode(Int64.self) ?? 0)
        }
    }

    public func finishRun(_ run: RunRecord) async throws {
        let layout = try await layout()
        try await database("run record") {
            try await transaction { [self] connection in
                try await createTables(connection, layout: layout, dimensions: run.model.dimensions)
                try await upsertRun(connection, run, delta: nil, layout: layout)
                var builder = SQLBuilder()
                builder.sql = """
                    UPDATE \(layout.runs) SET finished_at = to_timestamp(\(builder.bind(run.finishedAt ?? unixTime()))),
                        status = \(builder.bind(run.status)), selected = \(builder.bind(Int64(run.selected))),
                        skipped = \(builder.bind(Int64(run.skipped))), pruned = \(builder.bind(Int64(run.pruned))),
                        embedded = \(builder.bind(Int64(run.embedded))), failed = \(builder.bind(Int64(run.failed))),
                        tokens = \(builder.bind(Int64(run.tokens))), cost_usd = \(builder.bind(run.costUSD)),
                        requests = \(builder.bind(Int64(run.requests)))
                    WHERE id = \(builder.bind(run.id))
                    """
                try await connection.query(builder.query, logger: logger)
            }
            markTablesCreated(layout)
        }
    }

    public func lastRun() async throws -> RunRecord? {
        let layout = try await layout()
        return try await database("run read") {
            guard try await tableExists(layout.runs) else { return nil }
            var builder = SQLBuilder()
            builder.sql = """
                SELECT id, extract(epoch FROM started_at)::float8, extract(epoch FROM finished_at)::float8, status,
                    provider, model,
                    dimensions, selected, embedded, failed, skipped, pruned, tokens, cost_usd, requests
                FROM \(layout.runs) WHERE target = \(builder.bind(layout.targetName)) ORDER BY started_at DESC LIMIT 1
                """
            guard let row = try await client.query(builder.query, logger: logger).collect().first else { return nil }
            let (id, started, finished, status, provider, model, dimensions) =
                try row.decode((String, Double, Double?, String, String, String, Int32).self)
            let cells = row.makeRandomAccess()
            var run = RunRecord(
                id: id, startedAt: started,
                model: ModelIdentity(provider: provider, model: model, dimensions: Int(dimensions)))
            run.finishedAt = finished
            run.status = status
            run.selected = Int(try cells[7].decode(Int64.self))
            run.embedded = Int(try cells[8].decode(Int64.self))
            run.failed = Int(try cells[9].decode(Int64.self))
            run.skipped = Int(try cells[10].decode(Int64.self))
            run.pruned = Int(try cells[11].decode(Int64.self))
            run.tokens = Int(try cells[12].decode(Int64.self))
            run.costUSD = try cells[13].decode(Double.self)
            run.requests = Int(try cells[14].decode(Int64.self))
            return run
        }
    }

    public func failures(limit: Int) async throws -> [FailureRecord] {
        let layout = try await layout()
        return try await database("failure read") {
            guard try await tableExists(layout.failures) else { return [] }
            var builder = SQLBuilder()
            builder.sql = """
                SELECT row_id, error_class, message, attempts, runs, extract(epoch FROM updated_at)::float8
                FROM \(layout.failures) WHERE target = \(builder.bind(layout.targetName))
                ORDER BY updated_at DESC, row_id LIMIT \(builder.bind(Int64(limit)))
                """
            return try await client.query(builder.query, logger: logger).collect().map { row in
                let (id, errorClass, message, attempts, runs, updated) = try row.decode(
                    (String, String, String, Int32, Int32, Double).self)
                return FailureRecord(
                    id: rowID(id, layout: layout), errorClass: errorClass, message: message, attempts: Int(attempts),
                    runs: Int(runs),
                    updatedAt: updated)
            }
        }
    }

    /// Drops the target table (column mode: empties the vector column and drops the side table) and deletes this
    /// target's runs, failures and claims.
    public func reset() async throws {
        let layout = try await layout()
        let existing = (
            runs: try await tableExists(layout.runs), failures: try await tableExists(layout.failures),
            claims: try await tableExists(layout.claims),
            batches: try await tableExists(qualified(layout.targetSchema, BatchTables.batches)),
            requests: try await tableExists(qualified(layout.targetSchema, BatchTables.requests))
        )
        try await database("reset") {
            try await transaction { [self] connection in
                if let column = layout.vectorColumn, let table = layout.sourceTable {
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "UPDATE \(table) SET \(quoteIdentifier(column)) = NULL"),
                        logger: logger)
                }
                try await connection.query(
                    PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(chunkTable(layout))"), logger: logger)
                try await connection.query(
                    PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(layout.target)"), logger: logger)
                for (table, exists) in [
                    (layout.runs, existing.runs), (layout.failures, existing.failures),
                    (layout.claims, existing.claims),
                    (qualified(layout.targetSchema, BatchTables.requests), existing.requests),
                    (qualified(layout.targetSchema, BatchTables.batches), existing.batches),
                ]
                where exists {
                    var builder = SQLBuilder()
                    builder.sql = "DELETE FROM \(table) WHERE target = \(builder.bind(layout.targetName))"
                    try await connection.query(builder.query, logger: logger)
                }
            }
            state.withLock {
                _ = $0.existing.remove(layout.target)
                _ = $0.fingerprinted.remove(layout.target)
            }
        }
    }
}
