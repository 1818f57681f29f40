import EmbedSyncCore

extension LibSQLStore {
    public func sourceSchema() async throws -> SourceSchema {
        if let schema = state.withLock({ $0.schema }) { return schema }
        if configuration.detached {
            throw EmbedSyncError(
                .usage, "The libSQL target was used before it was told the source's schema (\(.targetDatabase)).")
        }
        let schema: SourceSchema
        switch configuration.source {
        case .table(let name): schema = try await tableSchema(name)
        case .query(let sql): schema = try await querySchema(sql)
        }
        state.withLock { $0.schema = schema }
        return schema
    }

    private func tableSchema(_ name: String) async throws -> SourceSchema {
        guard try await tableExists(name) else {
            let tables = try await client.execute(
                HranaStatement(
                    "SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' "
                        + "AND name NOT LIKE 'libsql_%' ORDER BY name")
            ).rows.compactMap { $0.first?.string }
            throw EmbedSyncError(
                .usage,
                """
                No table '\(name)' in libSQL at \(configuration.url). Tables: \
                \(tables.isEmpty ? "none" : tables.joined(separator: ", ")). Pass \(.table) NAME.
                """
            )
        }
        let info = try await client.execute(
            HranaStatement("SELECT name, type, pk FROM pragma_table_info(?)", [.text(name)]))
        let columns = info.rows.map { row in
            let type = row[1].string ?? ""
            return SourceColumn(name: row[0].string ?? "", declaredType: type, isTextLike: LibSQLStore.isTextLike(type))
        }
        let primaryKeys = info.rows.filter { ($0[2].int ?? 0) > 0 }.compactMap { $0[0].string }
        let idColumn = try SourceSchema.idColumn(
            requested: configuration.idColumn, columns: columns, primaryKeys: primaryKeys, table: name)
        return SourceSchema(idColumn: idColumn, columns: columns)
    }

    private func querySchema(_ sql: String) async throws -> SourceSchema {
        let described: (isReadonly: Bool, columns: [String])
        let first: HranaResult
        do {
            described = try await client.describe(sql)
            first = try await client.execute(HranaStatement("SELECT * FROM (\(sql)) LIMIT 1"))
        } catch let error as EmbedSyncError
            where error.code == .database && error.sqlState?.hasPrefix("HTTP") != true
            && !HranaClient.isTransport(error.sqlState)
        {
            throw EmbedSyncError(
                .usage,
                """
                The source query does not run: \((error.underlying as? DatabaseFailure)?.message ?? error.message). \
                Pass a SELECT that returns the id column and the template's fields.
                """
            )
        }
        guard described.isReadonly else {
            throw EmbedSyncError(.usage, "The source query must be a read-only SELECT.")
        }
        let names = first.columnNames
        let columns = names.enumerated().map { index, name in
            let value = first.rows.first?[index]
            let isText: Bool
            switch value {
            case .text?, .null?, nil: isText = true
            default: isText = false
            }
            return SourceColumn(name: name, declaredType: first.cols[index].decltype ?? "", isTextLike: isText)
        }
        let idColumn = configuration.idColumn ?? "id"
        guard names.contains(idColumn) else {
            throw EmbedSyncError(
                .usage,
                """
                The source query returns no '\(idColumn)' column. Select it, or pass \(.idColumn) naming one of: \
                \(names.joined(separator: ", ")).
                """
            )
        }
        return SourceSchema(idColumn: idColumn, columns: columns)
    }

    static func isTextLike(_ declaredType: String) -> Bool {
        let type = declaredType.uppercased()
        return type.isEmpty || type.contains("CHAR") || type.contains("CLOB") || type.contains("TEXT")
            || type.contains("JSON") || type.contains("STRING")
    }

    public func validateTarget(model: ModelIdentity) async throws {
        let schema = try await sourceSchema()
        if configuration.detached, isColumnMode {
            throw EmbedSyncError(
                .usage,
                "Column mode writes into the source table; with \(.targetDatabase) the vectors go to \(.targetTable).")
        }
        if !configuration.detached, case .table(let name) = configuration.source, name == targetTable {
            throw EmbedSyncError(
                .usage, "The target table '\(targetTable)' is the source table. Pass \(.targetTable) NAME.")
        }
        if !configuration.detached, case .column(let column) = configuration.target {
            guard case .table(let table) = configuration.source else {
                throw EmbedSyncError(
                    .usage, "Column mode needs a source table, not a query. Pass \(.table), or use \(.targetTable).")
            }
            guard schema.column(named: column) != nil else {
                throw EmbedSyncError(
                    .usage,
                    """
                    No column '\(column)' in table '\(table)' for \(.targetColumn). Add it first: ALTER TABLE \
                    \(quoteIdentifier(table)) ADD COLUMN \(quoteIdentifier(column)) F32_BLOB(\(model.dimensions));
                    """
                )
            }
            if column == schema.idColumn {
                throw EmbedSyncError(.usage, "\(.targetColumn) '\(column)' is the id column.")
            }
        }
        guard try await tableExists(targetTable) else { return }
        let columns = Set(
            try await client.execute(
                HranaStatement("SELECT name FROM pragma_table_info(?)", [.text(targetTable)])
            ).rows.compactMap { $0.first?.string })
        let expected: Set<String> =
            isColumnMode ? ["id", "content_hash", "model"] : ["id", "embedding", "content_hash", "model"]
        guard expected.isSubset(of: columns) else {
            throw EmbedSyncError(
                .usage,
                """
                Table '\(targetTable)' exists but is not an EmbedSync target (it lacks \
                \(expected.subtracting(columns).sorted().joined(separator: ", "))). Pass \(.targetTable) NAME.
                """
            )
        }
    }

    /// The statements creating the target and bookkeeping tables (run inside the first write transaction).
    func createTableStatements(dimensions: Int) -> [HranaStatement] {
        let target = quoteIdentifier(targetTable)
        let id =
            (state.withLock { $0.schema }?.hasIntegerIDs ?? true)
            ? "id INTEGER PRIMARY KEY NOT NULL" : "id TEXT PRIMARY KEY NOT NULL"
        let targetSQL =
            isColumnMode
            ? """
            CREATE TABLE IF NOT EXISTS \(target) (
                \(id), content_hash TEXT NOT NULL, model TEXT NOT NULL,
                dimensions INTEGER NOT NULL, updated_at REAL NOT NULL)
            """
            : """
            CREATE TABLE IF NOT EXISTS \(target) (
                \(id), embedding F32_BLOB(\(dimensions)) NOT NULL, content_hash TEXT NOT NULL,
                model TEXT NOT NULL, dimensions INTEGER NOT NULL, text TEXT,
                created_at REAL NOT NULL, updated_at REAL NOT NULL)
            """
        return [
            HranaStatement(targetSQL, wantRows: false),
            HranaStatement(
                """
                CREATE TABLE IF NOT EXISTS embedsync_runs (
                    id TEXT NOT NULL, target TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL,
                    status TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, dimensions INTEGER NOT NULL,
                    selected INTEGER NOT NULL DEFAULT 0, embedded INTEGER NOT NULL DEFAULT 0,
                    failed INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
                    pruned INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0,
                    cost_usd REAL NOT NULL DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (id, target))
                """, wantRows: false),
            HranaStatement(
                """
                CREATE TABLE IF NOT EXISTS embedsync_failures (
                    target TEXT NOT NULL, row_id NOT NULL, content_hash TEXT, error_class TEXT NOT NULL,
                    message TEXT NOT NULL, attempts INTEGER NOT NULL, runs INTEGER NOT NULL, last_run TEXT,
                    updated_at REAL NOT NULL, PRIMARY KEY (target, row_id))
                """, wantRows: false),
        ]
    }

    /// Remembers that the tables made by ``createTableStatements(dimensions:)`` exist (after a commit).
    func rememberCreatedTables() {
        state.withLock { state in
            state.existing.formUnion([targetTable, "embedsync_runs", "embedsync_failures"])
        }
    }
}
