import EmbedSyncCore
import PostgresNIO

/// PostgreSQL holding the vectors of rows that live in another database (`target.database`).
extension PostgresStore: DetachedTargetStore {
    public func adoptSourceSchema(_ schema: SourceSchema) {
        state.withLock { $0.adopted = schema }
    }

    /// The layout of a detached target: the id type follows the source's ids (`bigint` or `text`), the tables go to
    /// `--target-table`'s schema or the current one. The "source" is the target's own ids, so nothing here ever
    /// reads or counts rows of another database.
    func detachedLayout() async throws -> Layout {
        guard let schema = state.withLock({ $0.adopted }) else {
            throw EmbedSyncError(
                .usage, "The PostgreSQL target was used before it was told the source's schema (\(.targetDatabase)).")
        }
        if case .column = configuration.target {
            throw EmbedSyncError(
                .usage,
                "Column mode writes into the source table; with \(.targetDatabase) the vectors go to \(.targetTable).")
        }
        var targetSchema =
            try await client.query("SELECT current_schema()::text", logger: logger).collect().first?.decode(
                String?.self) ?? "public"
        var targetName = "\(configuration.source.baseName)_embeddings"
        if case .table(let name?) = configuration.target {
            let (schemaPart, tablePart) = splitName(name)
            if let schemaPart { targetSchema = schemaPart }
            targetName = tablePart
        }
        targetName = String(targetName.prefix(63))
        let target = qualified(targetSchema, targetName)
        let integer = schema.hasIntegerIDs
        return Layout(
            schema: schema, sourceSQL: "(SELECT id AS \(quoteIdentifier(schema.idColumn)) FROM \(target))",
            sourceTable: nil, idType: integer ? "bigint" : "text", idIsInteger: integer, targetSchema: targetSchema,
            targetName: targetName, vectorColumn: nil)
    }

    public func storedStates(ids: [RowID]) async throws -> [RowID: (stored: StoredState?, failure: FailureState?)] {
        guard !ids.isEmpty else { return [:] }
        let layout = try await layout()
        let texts = ids.map(\.description)
        var states: [RowID: (stored: StoredState?, failure: FailureState?)] = [:]
        try await database("stored state read") {
            if try await tableExists(layout.target) {
                var builder = SQLBuilder()
                builder.sql = """
                    SELECT id::text, content_hash, model FROM \(layout.target)
                    WHERE id = ANY(\(builder.bind(texts))::text[]::\(layout.idType)[])
                    """
                for try await (id, hash, model) in try await client.query(builder.query, logger: logger).decode(
                    (String, String, String).self)
                {
                    states[rowID(id, layout: layout), default: (nil, nil)].stored = StoredState(
                        contentHash: hash, modelKey: model)
                }
            }
            if try await tableExists(layout.failures) {
                var builder = SQLBuilder()
                builder.sql = """
                    SELECT row_id, runs, content_hash FROM \(layout.failures)
                    WHERE target = \(builder.bind(layout.targetName)) AND row_id = ANY(\(builder.bind(texts))::text[])
                    """
                for try await (id, runs, hash) in try await client.query(builder.query, logger: logger).decode(
                    (String, Int32, String?).self)
                {
                    states[rowID(id, layout: layout), default: (nil, nil)].failure = FailureState(
                        runs: Int(runs), contentHash: hash)
                }
            }
        }
        state.withLock { state in
            for id in ids { state.seen.record(id, states[id]?.stored) }
        }
        return states
    }

    public func storedIDs(after: RowID?, limit: Int) async throws -> [RowID] {
        let layout = try await layout()
        return try await database("id read") {
            guard try await tableExists(layout.target) else { return [] }
            var builder = SQLBuilder()
            builder.sql = "SELECT id::text FROM \(layout.target)"
            if let after { builder.sql += " WHERE id > \(builder.bind(after.description))::\(layout.idType)" }
            builder.sql += " ORDER BY id LIMIT \(builder.bind(Int64(limit)))"
            var ids: [RowID] = []
            for try await id in try await client.query(builder.query, logger: logger).decode(String.self) {
                ids.append(rowID(id, layout: layout))
            }
            return ids
        }
    }

    public func deleteVectors(ids: [RowID], run: RunRecord) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let layout = try await layout()
        let texts = ids.map(\.description)
        return try await database("prune") {
            let deleted = try await transaction { [self] connection -> Int in
                try await createTables(connection, layout: layout, dimensions: run.model.dimensions)
                var builder = SQLBuilder()
                builder.sql = """
                    WITH gone AS (
                        DELETE FROM \(layout.target) WHERE id = ANY(\(builder.bind(texts))::text[]::\(layout.idType)[])
                        RETURNING 1
                    ) SELECT count(*) FROM gone
                    """
                let rows = try await connection.query(builder.query, logger: logger).collect()
                var failures = SQLBuilder()
                failures.sql = """
                    DELETE FROM \(layout.failures) WHERE target = \(failures.bind(layout.targetName))
                      AND row_id = ANY(\(failures.bind(texts))::text[])
                    """
                try await connection.query(failures.query, logger: logger)
                try await upsertRun(connection, run, delta: nil, layout: layout)
                return Int(try rows.first?.decode(Int64.self) ?? 0)
            }
            markTablesCreated(layout)
            return deleted
        }
    }
}
