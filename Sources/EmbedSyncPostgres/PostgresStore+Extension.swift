import EmbedSyncCore
import PostgresNIO

extension PostgresStore {
    /// The schema pgvector is installed in, quoted, e.g. `"public"` (Supabase: `"extensions"`).
    /// - Throws: ``EmbedSyncError`` with the `CREATE EXTENSION vector;` hint when the extension is missing.
    func vectorSchema() async throws -> String {
        if let schema = state.withLock({ $0.vectorSchema }) { return schema }
        let rows = try await database("extension check") {
            try await bounded { [client, logger] in
                try await client.query(
                    """
                    SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE \
                    e.extname = 'vector'
                    """,
                    logger: logger
                ).collect()
            }
        }
        if let schema = try rows.first?.decode(String.self) {
            let quoted = quoteIdentifier(schema)
            state.withLock { $0.vectorSchema = quoted }
            return quoted
        }
        let available = try await database("extension check") {
            try await client.query("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'", logger: logger)
                .collect()
        }
        if (try available.first?.decode(Int64.self) ?? 0) > 0 {
            throw EmbedSyncError(
                .usage,
                """
                The database '\(url.database)' has no `vector` extension. Run CREATE EXTENSION vector; in it (as its \
                owner or a superuser; on Supabase: Database → Extensions → vector), then try again.
                """
            )
        }
        throw EmbedSyncError(
            .usage,
            """
            The PostgreSQL server at \(url) does not have pgvector installed, so the database '\(url.database)' \
            cannot store vectors. Install pgvector on the server, then run CREATE EXTENSION vector;.
            """
        )
    }
}
