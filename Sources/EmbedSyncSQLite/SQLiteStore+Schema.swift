import EmbedSyncCore
import GRDB

extension SQLiteStore {
    /// The table vectors go to in table mode, or the side table of column mode.
    var targetTable: String {
        switch configuration.target {
        case .table(let name): return name ?? "\(configuration.source.baseName)_embeddings"
        case .column: return "\(configuration.source.baseName)_embedsync"
        }
    }

    var isColumnMode: Bool {
        if case .column = configuration.target { return true }
        return false
    }

    /// `"name"` for a table source, `(query)` for a query source.
    var sourceSQL: String {
        switch configuration.source {
        case .table(let name): return quoteIdentifier(name)
        case .query(let sql): return "(\(sql))"
        }
    }

    public func sourceSchema() async throws -> SourceSchema {
        if let schema = state.withLock({ $0.schema }) { return schema }
        if configuration.detached {
            throw EmbedSyncError(
                .usage, "The SQLite target was used before it was told the source's schema (\(.targetDatabase)).")
        }
        let schema = try await database("schema read") {
            try await queue.read { db in try self.readSchema(db) }
        }
        state.withLock { $0.schema = schema }
        return schema
    }

    func readSchema(_ db: Database) throws -> SourceSchema {
        switch configuration.source {
        case .table(let name):
            guard try db.tableExists(name) else {
                let tables = try String.fetchAll(
                    db,
                    sql:
                        """
                        SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' \
                        ORDER BY name
                        """
                )
                throw EmbedSyncError(
                    .usage,
                    """
                    No table '\(name)' in '\(configuration.path)'. Tables: \
                    \(tables.isEmpty ? "none" : tables.joined(separator: ", ")). Pass \(.table) NAME.
                    """
                )
            }
            let info = try Row.fetchAll(db, sql: "SELECT name, type, pk FROM pragma_table_info(?)", arguments: [name])
            let columns = info.map { row -> SourceColumn in
                let type: String = row["type"] ?? ""
                return SourceColumn(
                    name: row["name"] ?? "", declaredType: type, isTextLike: SQLiteStore.isTextLike(type))
            }
            let primaryKeys = info.filter { ($0["pk"] as Int? ?? 0) > 0 }.compactMap { $0["name"] as String? }
            let idColumn = try SourceSchema.idColumn(
                requested: configuration.idColumn, columns: columns, primaryKeys: primaryKeys, table: name)
            return SourceSchema(idColumn: idColumn, columns: columns)
        case .query(let sql):
            let statement: Statement
            do {
                statement = try db.makeStatement(sql: "SELECT * FROM (\(sql)) LIMIT 0")
            } catch {
                throw EmbedSyncError(
                    .usage,
                    """
                    The source query does not run: \(SQLiteStore.describe(error)). Pass a SELECT that returns the id \
                    column and the template's fields.
                    """
                )
            }
            guard try db.makeStatement(sql: sql).isReadonly else {
                throw EmbedSyncError(.usage, "The source query must be a read-only SELECT.")
            }
            let names = statement.columnNames
            let first = try Row.fetchOne(db, sql: "SELECT * FROM (\(sql)) LIMIT 1")
            let columns = names.map { name -> SourceColumn in
                let isText: Bool
                if let value = first?[name] as DatabaseValue? {
                    if case .string = value.storage { isText = true } else { isText = value.isNull }
                } else {
                    isText = true
                }
                return SourceColumn(name: name, declaredType: "", isTextLike: isText)
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
    }

    static func isTextLike(_ declaredType: String) -> Bool {
        let type = declaredType.uppercased()
        return type.isEmpty || type.contains("CHAR") || type.contains("CLOB") || type.contains("TEXT")
            || type.contains("JSON")
            || type.contains("STRING")
    }

    public func validateTarget(model: ModelIdentity) async throws {
        let schema = try await sourceSchema()
        if configuration.detached, isColumnMode {
            throw EmbedSyncError(
                .usage,
                "Column mode writes into the source table; with \(.targetDatabase) the vectors go to \(.targetTable).")
        }
        try await database("schema read") {
            try await queue.read { db in
                if !self.configuration.detached, case .table(let name) = self.configuration.source,
                    name == self.targetTable
                {
                    throw EmbedSyncError(
                        .usage, "The target table '\(self.targetTable)' is the source table. Pass \(.targetTable) NAME."
                    )
                }
                if case .column(let column) = self.configuration.target {
                    guard case .table(let table) = self.configuration.source else {
                        throw EmbedSyncError(
                            .usage,
                            "Column mode needs a source table, not a query. Pass \(.table), or use \(.targetTable).")
                    }
                    guard schema.column(named: column) != nil else {
                        throw EmbedSyncError(
                            .usage,
                            """
                            No column '\(column)' in table '\(table)' for \(.targetColumn). Add it first: ALTER TABLE \
                            \(quoteIdentifier(table)) ADD COLUMN \(quoteIdentifier(column)) BLOB;
                            """
                        )
                    }
                    if column == schema.idColumn || self.configuration.idColumn == column {
                        throw EmbedSyncError(.usage, "\(.targetColumn) '\(column)' is the id column.")
                    }
                }
                if try db.tableExists(self.targetTable) {
                    let columns = Set(try db.columns(in: self.targetTable).map(\.name))
                    let expected: Set<String> =
                        self.isColumnMode
                        ? ["id", "content_hash", "model"] : ["id", "embedding", "content_hash", "model"]
                    guard expected.isSubset(of: columns) else {
                        throw EmbedSyncError(
                            .usage,
                            """
                            Table '\(self.targetTable)' exists but is not an EmbedSync target (it lacks \
                            \(expected.subtracting(columns).sorted().joined(separator: ", "))). Pass \(.targetTable) \
                            NAME.
                            """
                        )
                    }
                }
            }
        }
    }

    /// Creates the target and bookkeeping tables; called inside the first write transaction.
    /// The id column's declaration: the source id's type, so `t.id = s.id` joins use the primary-key index
    /// (an untyped column would force a conversion and a full scan per row).
    func idDeclaration(_ schema: SourceSchema?) -> String {
        (schema?.hasIntegerIDs ?? true) ? "id INTEGER PRIMARY KEY NOT NULL" : "id TEXT PRIMARY KEY NOT NULL"
    }

    func createTables(_ db: Database, dimensions: Int) throws {
        let target = quoteIdentifier(targetTable)
        let id = idDeclaration(state.withLock { $0.schema })
        if isColumnMode {
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS \(target) (
                        \(id), content_hash TEXT NOT NULL, model TEXT NOT NULL,
                        dimensions INTEGER NOT NULL, updated_at REAL NOT NULL)
                    """)
        } else {
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS \(target) (
                        \(id), embedding F32_BLOB(\(dimensions)) NOT NULL, content_hash TEXT NOT NULL,
                        model TEXT NOT NULL, dimensions INTEGER NOT NULL, text TEXT,
                        created_at REAL NOT NULL, updated_at REAL NOT NULL)
                    """)
            try createFreshnessIndex(db)
        }
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS embedsync_runs (
                    id TEXT PRIMARY KEY, target TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL, status TEXT
                        NOT NULL,
                    provider TEXT NOT NULL, model TEXT NOT NULL, dimensions INTEGER NOT NULL,
                    selected INTEGER NOT NULL DEFAULT 0, embedded INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL
                        DEFAULT 0,
                    skipped INTEGER NOT NULL DEFAULT 0, pruned INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL
                        DEFAULT 0,
                    cost_usd REAL NOT NULL DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE IF NOT EXISTS embedsync_failures (
                    target TEXT NOT NULL, row_id NOT NULL, content_hash TEXT, error_class TEXT NOT NULL, message TEXT
                        NOT NULL,
                    attempts INTEGER NOT NULL, runs INTEGER NOT NULL, last_run TEXT, updated_at REAL NOT NULL,
                    PRIMARY KEY (target, row_id));
                """)
    }

    /// The target's covering index of what the freshness check reads (id, content hash, model), so a run over an
    /// unchanged table reads a few dozen bytes a row instead of each row's vector.
    var freshnessIndex: String { "\(targetTable)_freshness" }

    func hasFreshnessIndex(_ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'index' AND name = ?",
            arguments: [freshnessIndex]) ?? false
    }

    /// Creates the freshness index on a table-mode target (made by an older version, or now by the first commit).
    func createFreshnessIndex(_ db: Database) throws {
        guard !isColumnMode, try db.tableExists(targetTable) else { return }
        try db.execute(
            sql: """
                CREATE INDEX IF NOT EXISTS \(quoteIdentifier(freshnessIndex))
                ON \(quoteIdentifier(targetTable)) (id, content_hash, model)
                """)
    }

    func tableExists(_ db: Database, _ name: String) throws -> Bool {
        try db.tableExists(name)
    }
}
