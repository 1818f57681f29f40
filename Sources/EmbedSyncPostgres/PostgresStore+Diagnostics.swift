import EmbedSyncCore
import PostgresNIO

extension PostgresStore {
    /// The pgvector extension of the connected database: the schema it is installed in and its version.
    ///
    /// For `embedsync doctor`; a run checks the same thing before its first batch.
    /// - Throws: ``EmbedSyncError`` (`.usage`) saying how to add the extension when it is missing.
    public func vectorExtension() async throws -> (schema: String, version: String) {
        let schema = try await vectorSchema()
        let rows = try await database("extension check") {
            try await client.query("SELECT extversion::text FROM pg_extension WHERE extname = 'vector'", logger: logger)
                .collect()
        }
        return (schema, try rows.first?.decode(String.self) ?? "unknown")
    }

    /// What the connected role lacks to write what a run writes, or an empty list when it lacks nothing: `CREATE`
    /// on the target's schema (for the vector and bookkeeping tables) and, in column mode, `UPDATE` on the source
    /// table.
    ///
    /// Reads the catalogs only; nothing is written.
    /// - Throws: ``EmbedSyncError`` when the source cannot be resolved.
    public func missingWritePrivileges() async throws -> [String] {
        let layout = try await layout()
        let source = layout.isColumnMode ? layout.sourceTable : nil
        let rows = try await database("privilege check") {
            try await client.query(
                """
                SELECT current_user::text, has_schema_privilege(\(layout.targetSchema), 'CREATE'),
                  \(source)::text IS NULL OR has_table_privilege(\(source)::text, 'UPDATE')
                """, logger: logger
            ).collect()
        }
        guard let row = rows.first else { return [] }
        let (role, create, update) = try row.decode((String, Bool, Bool).self)
        var missing: [String] = []
        if !create { missing.append("CREATE on schema \(quoteIdentifier(layout.targetSchema)) for role \(role)") }
        if !update, let source { missing.append("UPDATE on \(source) for role \(role)") }
        return missing
    }
}

extension PostgresStore {
    /// The server and database, without the password: `postgres://user@host:5432/db`.
    public var serverDescription: String { url.description }
}
