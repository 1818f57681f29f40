import EmbedSyncCore
import PostgresNIO

/// Checking and creating the target and bookkeeping tables.
extension PostgresStore {
    public func validateTarget(model: ModelIdentity) async throws {
        let layout = try await layout()
        if let source = layout.sourceTable, source == layout.target {
            throw EmbedSyncError(
                .usage, "The target table '\(layout.targetName)' is the source table. Pass \(.targetTable) NAME.")
        }
        _ = try await vectorSchema()
        try await database("schema read") {
            if let column = layout.vectorColumn {
                guard let table = layout.sourceTable else {
                    throw EmbedSyncError(
                        .usage, "Column mode needs a source table, not a query. Pass \(.table), or use \(.targetTable)."
                    )
                }
                if column == layout.schema.idColumn {
                    throw EmbedSyncError(.usage, "\(.targetColumn) '\(column)' is the id column.")
                }
                guard let info = try await vectorColumnInfo(table: table, column: column) else {
                    throw EmbedSyncError(
                        .usage,
                        """
                        No column '\(column)' in table \(table) for \(.targetColumn). Add it first: ALTER TABLE \
                        \(table) ADD COLUMN \(quoteIdentifier(column)) vector(\(model.dimensions));
                        """
                    )
                }
                guard info.typeName == "vector" else {
                    throw EmbedSyncError(
                        .usage,
                        """
                        Column '\(column)' of \(table) is \(info.typeName), not vector. Use a \
                        vector(\(model.dimensions)) column: ALTER TABLE \(table) ADD COLUMN embedding \
                        vector(\(model.dimensions));
                        """
                    )
                }
                if let dimensions = info.dimensions, dimensions != model.dimensions {
                    throw EmbedSyncError(
                        .usage,
                        """
                        Column '\(column)' of \(table) is vector(\(dimensions)) but \(model.storageKey) makes \
                        \(model.dimensions)-dimensional vectors. Pick a model with \(dimensions) dimensions \
                        (\(.dimensions) \(dimensions) for OpenAI v3 models), or change the column: ALTER TABLE \
                        \(table) ALTER COLUMN \(quoteIdentifier(column)) TYPE vector(\(model.dimensions));
                        """
                    )
                }
            } else if try await tableExists(layout.target) {
                guard let info = try await vectorColumnInfo(table: layout.target, column: "embedding"),
                    info.typeName == "vector",
                    try await vectorColumnInfo(table: layout.target, column: "content_hash") != nil
                else {
                    throw EmbedSyncError(
                        .usage,
                        """
                        Table \(layout.target) exists but is not an EmbedSync target (it lacks a vector column \
                        'embedding' or 'content_hash'). Pass \(.targetTable) NAME.
                        """
                    )
                }
                if let dimensions = info.dimensions, dimensions != model.dimensions {
                    throw EmbedSyncError(
                        .usage,
                        """
                        Table \(layout.target) holds vector(\(dimensions)) vectors but \(model.storageKey) makes \
                        \(model.dimensions)-dimensional ones. Run `embedsync reset` to start over with this model, or \
                        pass \(.targetTable) NAME.
                        """
                    )
                }
            }
        }
    }

    /// Creates the target and bookkeeping tables when missing; called inside the first write transaction.
    /// A transaction-scoped advisory lock keeps concurrent workers from racing on `CREATE TABLE`.
    func createTables(_ connection: PostgresConnection, layout: Layout, dimensions: Int) async throws {
        let tables = [layout.target, layout.runs, layout.failures]
        if state.withLock({ state in tables.allSatisfy { state.existing.contains($0) } }) { return }
        let vector = try await vectorSchema() + ".vector"
        try await connection.query(
            "SELECT pg_advisory_xact_lock(\(PostgresStore.lockClass), hashtext('embedsync ddl'))", logger: logger)
        if layout.isColumnMode {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(layout.target) (
                            id \(layout.idType) PRIMARY KEY, content_hash text NOT NULL, model text NOT NULL,
                            dimensions integer NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())
                        """), logger: logger)
        } else {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(layout.target) (
                            id \(layout.idType) PRIMARY KEY, embedding \(vector)(\(dimensions)) NOT NULL, content_hash
                                text NOT NULL,
                            model text NOT NULL, dimensions integer NOT NULL, text text,
                            created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT
                                now(), source_fingerprint text)
                        """), logger: logger)
            try await ensureFingerprintColumn(connection, layout: layout)
        }
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(layout.runs) (
                        id text PRIMARY KEY, target text NOT NULL, started_at timestamptz NOT NULL, finished_at
                            timestamptz,
                        status text NOT NULL, provider text NOT NULL, model text NOT NULL, dimensions integer NOT NULL,
                        selected bigint NOT NULL DEFAULT 0, embedded bigint NOT NULL DEFAULT 0, failed bigint NOT NULL
                            DEFAULT 0,
                        skipped bigint NOT NULL DEFAULT 0, pruned bigint NOT NULL DEFAULT 0, tokens bigint NOT NULL
                            DEFAULT 0,
                        cost_usd double precision NOT NULL DEFAULT 0, requests bigint NOT NULL DEFAULT 0)
                    """), logger: logger)
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(layout.failures) (
                        target text NOT NULL, row_id text NOT NULL, content_hash text, error_class text NOT NULL,
                            message text NOT NULL,
                        attempts integer NOT NULL, runs integer NOT NULL, last_run text, updated_at timestamptz NOT
                            NULL,
                        PRIMARY KEY (target, row_id))
                    """), logger: logger)
    }

    /// Remembers that the tables of ``createTables(_:layout:dimensions:)`` exist, once their transaction committed.
    func markTablesCreated(_ layout: Layout) {
        state.withLock { $0.existing.formUnion([layout.target, layout.runs, layout.failures]) }
    }

    /// The first key of every advisory lock EmbedSync takes (`'EmbS'`), so they never collide with an application's.
    static let lockClass: Int32 = 0x456D_6253
}
