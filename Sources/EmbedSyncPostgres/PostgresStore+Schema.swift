import EmbedSyncCore
import PostgresNIO

/// The source and target resolved against the catalogs: every name here was found in the schema, and every
/// SQL fragment is built from quoted identifiers.
struct Layout: Sendable {
    var schema: SourceSchema
    /// `"schema"."table"` for a table source, `(query)` for a query.
    var sourceSQL: String
    /// The source table's quoted qualified name (table sources only).
    var sourceTable: String?
    /// The id column's type as `format_type` spells it (`bigint`, `uuid`, `character varying(20)`).
    var idType: String
    var idIsInteger: Bool
    /// The schema holding the target and the bookkeeping tables.
    var targetSchema: String
    /// The target table (table mode) or side table (column mode), unqualified: the `target` key in bookkeeping.
    var targetName: String
    /// Column mode: the vector column of the source table.
    var vectorColumn: String?

    var target: String { qualified(targetSchema, targetName) }
    var runs: String { qualified(targetSchema, "embedsync_runs") }
    var failures: String { qualified(targetSchema, "embedsync_failures") }
    var claims: String { qualified(targetSchema, "embedsync_claims") }
    var id: String { quoteIdentifier(schema.idColumn) }
    var isColumnMode: Bool { vectorColumn != nil }
}

func qualified(_ schema: String, _ name: String) -> String {
    quoteIdentifier(schema) + "." + quoteIdentifier(name)
}

/// Splits `schema.table` into its parts; a bare name has no schema.
func splitName(_ name: String) -> (schema: String?, name: String) {
    if let dot = name.firstIndex(of: "."), dot != name.startIndex, name.index(after: dot) != name.endIndex {
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }
    return (nil, name)
}

extension PostgresStore {
    static let textTypes: Set<String> = ["text", "varchar", "bpchar", "char", "json", "jsonb", "name", "citext", "xml"]
    static let integerTypes: Set<String> = ["int2", "int4", "int8"]

    public func sourceSchema() async throws -> SourceSchema {
        try await layout().schema
    }

    func layout() async throws -> Layout {
        if let layout = state.withLock({ $0.layout }) { return layout }
        let layout = try await database("schema read") {
            configuration.detached ? try await detachedLayout() : try await resolveLayout()
        }
        state.withLock { $0.layout = layout }
        return layout
    }

    private func resolveLayout() async throws -> Layout {
        struct Column {
            var name: String
            var type: String
            var typeName: String
        }
        var columns: [Column] = []
        var primaryKeys: [String] = []
        let sourceSchemaName: String
        var sourceTable: String?
        let sourceSQL: String
        var sourceName = configuration.source.baseName

        switch configuration.source {
        case .table(let name):
            let (schemaPart, tablePart) = splitName(name)
            var found = try await findRelation(schema: nil, name: name)
            if found == nil, let schemaPart { found = try await findRelation(schema: schemaPart, name: tablePart) }
            guard let (schemaName, relation) = found else {
                let tables = try await client.query(
                    """
                    SELECT table_schema, table_name FROM information_schema.tables
                    WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2 LIMIT 50
                    """, logger: logger
                ).collect().map { row -> String in
                    let (schema, table) = try row.decode((String, String).self)
                    return schema == "public" ? table : "\(schema).\(table)"
                }
                throw EmbedSyncError(
                    .usage,
                    """
                    No table '\(name)' in \(url). Tables: \
                    \(tables.isEmpty ? "none" : tables.joined(separator: ", ")). Pass \(.table) NAME (schema.table \
                    for another schema).
                    """
                )
            }
            sourceSchemaName = schemaName
            sourceName = relation
            let table = qualified(schemaName, relation)
            sourceTable = table
            sourceSQL = table
            for row in try await client.query(
                """
                SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typname::text
                FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                WHERE a.attrelid = to_regclass(\(table)) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                """, logger: logger
            ).collect() {
                let (name, type, typeName) = try row.decode((String, String, String).self)
                columns.append(Column(name: name, type: type, typeName: typeName))
            }
            primaryKeys = try await client.query(
                """
                SELECT a.attname::text FROM pg_index i
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = to_regclass(\(table)) AND i.indisprimary
                """, logger: logger
            ).collect().map { try $0.decode(String.self) }
        case .query(let sql):
            sourceSQL = "(\(sql))"
            sourceSchemaName =
                try await client.query("SELECT current_schema()::text", logger: logger).collect().first?.decode(
                    String?.self) ?? "public"
            do {
                columns = try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    do {
                        try await connection.query(
                            PostgresQuery(
                                unsafeSQL: "CREATE TEMP VIEW embedsync_probe AS SELECT * FROM \(sourceSQL) AS s"),
                            logger: logger)
                        let rows = try await connection.query(
                            """
                            SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typname::text
                            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                            WHERE a.attrelid = 'pg_temp.embedsync_probe'::regclass AND a.attnum > 0 ORDER BY a.attnum
                            """, logger: logger
                        ).collect()
                        try await connection.query("ROLLBACK", logger: logger)
                        return try rows.map { row in
                            let (name, type, typeName) = try row.decode((String, String, String).self)
                            return Column(name: name, type: type, typeName: typeName)
                        }
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
            } catch {
                throw EmbedSyncError(
                    .usage,
                    """
                    The source query does not run: \(describe(error)). Pass a SELECT that returns the id column and \
                    the template's fields.
                    """
                )
            }
        }

        let sourceColumns = columns.map {
            SourceColumn(
                name: $0.name, declaredType: $0.type, isTextLike: PostgresStore.textTypes.contains($0.typeName))
        }
        let idColumn: String
        if let requested = configuration.idColumn {
            guard columns.contains(where: { $0.name == requested }) else {
                throw EmbedSyncError(
                    .usage,
                    """
                    No column '\(requested)' in the source for \(.idColumn). Columns: \
                    \(columns.map(\.name).joined(separator: ", ")).
                    """
                )
            }
            idColumn = requested
        } else if case .query = configuration.source {
            guard columns.contains(where: { $0.name == "id" }) else {
                throw EmbedSyncError(
                    .usage,
                    """
                    The source query returns no 'id' column. Select it, or pass \(.idColumn) naming one of: \
                    \(columns.map(\.name).joined(separator: ", ")).
                    """
                )
            }
            idColumn = "id"
        } else if primaryKeys.count == 1 {
            idColumn = primaryKeys[0]
        } else {
            throw EmbedSyncError(
                .usage,
                """
                Table '\(sourceName)' has \(primaryKeys.isEmpty ? "no" : "a composite") primary key. Pass \
                \(.idColumn) COLUMN naming a unique integer or text column.
                """
            )
        }
        guard let idInfo = columns.first(where: { $0.name == idColumn }) else {
            throw EmbedSyncError(.usage, "No id column '\(idColumn)' in the source.")
        }

        var targetSchema = sourceSchemaName
        let targetName: String
        var vectorColumn: String?
        switch configuration.target {
        case .table(let name?):
            let (schemaPart, tablePart) = splitName(name)
            if let schemaPart { targetSchema = schemaPart }
            targetName = tablePart
        case .table(nil):
            targetName = "\(sourceName)_embeddings"
        case .column(let column):
            targetName = "\(sourceName)_embedsync"
            vectorColumn = column
        }
        return Layout(
            schema: SourceSchema(idColumn: idColumn, columns: sourceColumns), sourceSQL: sourceSQL,
            sourceTable: sourceTable,
            idType: idInfo.type, idIsInteger: PostgresStore.integerTypes.contains(idInfo.typeName),
            targetSchema: targetSchema,
            targetName: String(targetName.prefix(63)), vectorColumn: vectorColumn)
    }

    /// The schema and name of a table or view on the search path (or in `schema`).
    private func findRelation(schema: String?, name: String) async throws -> (String, String)? {
        let rows = try await client.query(
            """
            SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND c.relname = \(name)
              AND ((\(schema)::text IS NULL AND n.nspname = ANY(current_schemas(false))) OR n.nspname = \(schema))
            ORDER BY array_position(current_schemas(false), n.nspname::name) NULLS LAST LIMIT 1
            """, logger: logger
        ).collect()
        return try rows.first.map { try $0.decode((String, String).self) }
    }

    /// The vector column's declared dimensions (`atttypmod`; `nil` when it is plain `vector`), or `nil` when `table`
    /// has no such column of type vector.
    func vectorColumnInfo(table: String, column: String) async throws -> (typeName: String, dimensions: Int?)? {
        let rows = try await client.query(
            """
            SELECT t.typname::text, a.atttypmod FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = to_regclass(\(table)) AND a.attname = \(column) AND a.attnum > 0 AND NOT a.attisdropped
            """, logger: logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (typeName, typmod) = try row.decode((String, Int32).self)
        return (typeName, typmod > 0 ? Int(typmod) : nil)
    }

    func tableExists(_ qualifiedName: String) async throws -> Bool {
        if state.withLock({ $0.existing.contains(qualifiedName) }) { return true }
        let rows = try await bounded { [client, logger] in
            try await client.query("SELECT to_regclass(\(qualifiedName)) IS NOT NULL", logger: logger).collect()
        }
        let exists = try rows.first?.decode(Bool.self) ?? false
        if exists { state.withLock { _ = $0.existing.insert(qualifiedName) } }
        return exists
    }
}
