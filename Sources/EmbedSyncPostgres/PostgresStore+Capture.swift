import EmbedSyncCore
import PostgresNIO

/// Change capture on PostgreSQL: a PL/pgSQL trigger function appends the id of every inserted, updated or deleted row
/// to `<target>_changes`, and a statement trigger records a `TRUNCATE` as an entry for every row.
extension PostgresStore: ChangeCapturingStore {
    private struct CaptureNames {
        let layout: Layout
        let capture: CaptureLayout
        let sourceTable: String
        var changes: String { qualified(layout.targetSchema, capture.changes) }
        var state: String { qualified(layout.targetSchema, "embedsync_capture") }
        var function: String { qualified(layout.targetSchema, "\(capture.target)_capture") }
        var rowTrigger: String { quoteIdentifier("\(capture.target)_capture") }
        var truncateTrigger: String { quoteIdentifier("\(capture.target)_capture_truncate") }
    }

    private func captureNames() async throws -> CaptureNames {
        let layout = try await layout()
        let capture = try CaptureLayout(
            target: layout.targetName, source: configuration.source, idColumn: layout.schema.idColumn,
            columnMode: layout.isColumnMode)
        guard let sourceTable = layout.sourceTable else { throw EmbedSyncError(.usage, "No source table.") }
        return CaptureNames(layout: layout, capture: capture, sourceTable: sourceTable)
    }

    public func enableChangeCapture() async throws {
        let names = try await captureNames()
        let id = names.layout.id
        let record = { (row: String) in "INSERT INTO \(names.changes) (row_id) VALUES (\(row).\(id)::text);" }
        let body = """
            BEGIN
                IF TG_LEVEL = 'STATEMENT' THEN INSERT INTO \(names.changes) (row_id) VALUES (NULL); RETURN NULL; END IF;
                IF TG_OP = 'DELETE' THEN \(record("OLD")) RETURN OLD; END IF;
                \(record("NEW"))
                IF TG_OP = 'UPDATE' AND OLD.\(id) IS DISTINCT FROM NEW.\(id) THEN \(record("OLD")) END IF;
                RETURN NEW;
            END
            """
        guard !body.contains("$embedsync$") else {
            throw EmbedSyncError(
                .usage, "Change capture cannot be set up for a table or column named with $embedsync$.")
        }
        let statements = [
            "CREATE TABLE IF NOT EXISTS \(names.changes) (seq bigserial PRIMARY KEY, row_id text)",
            """
            CREATE TABLE IF NOT EXISTS \(names.state) (
                target text PRIMARY KEY, source text NOT NULL, fingerprint text, full_check_at double precision)
            """,
            """
            CREATE OR REPLACE FUNCTION \(names.function)() RETURNS trigger LANGUAGE plpgsql
            AS $embedsync$\(body)$embedsync$
            """,
            """
            CREATE OR REPLACE TRIGGER \(names.rowTrigger) AFTER INSERT OR UPDATE OR DELETE ON \(names.sourceTable)
            FOR EACH ROW EXECUTE FUNCTION \(names.function)()
            """,
            """
            CREATE OR REPLACE TRIGGER \(names.truncateTrigger) AFTER TRUNCATE ON \(names.sourceTable)
            FOR EACH STATEMENT EXECUTE FUNCTION \(names.function)()
            """,
        ]
        try await database("change capture") {
            try await transaction { [self] connection in
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(\(PostgresStore.lockClass), hashtext('embedsync ddl'))",
                    logger: logger)
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                var insert = SQLBuilder()
                insert.sql = """
                    INSERT INTO \(names.state) (target, source)
                    VALUES (\(insert.bind(names.capture.target)), \(insert.bind(names.capture.source)))
                    ON CONFLICT (target) DO NOTHING
                    """
                try await connection.query(insert.query, logger: logger)
            }
        }
    }

    public func disableChangeCapture() async throws -> Bool {
        let names = try await captureNames()
        return try await database("change capture") {
            let hadState = try await tableExists(names.state)
            state.withLock { _ = $0.existing.remove(names.changes) }
            return try await transaction { [self] connection in
                for statement in [
                    "DROP TRIGGER IF EXISTS \(names.rowTrigger) ON \(names.sourceTable)",
                    "DROP TRIGGER IF EXISTS \(names.truncateTrigger) ON \(names.sourceTable)",
                    "DROP FUNCTION IF EXISTS \(names.function)()", "DROP TABLE IF EXISTS \(names.changes)",
                ] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                guard hadState else { return false }
                var delete = SQLBuilder()
                delete.sql =
                    "DELETE FROM \(names.state) WHERE target = \(delete.bind(names.capture.target)) RETURNING 1"
                return try await !connection.query(delete.query, logger: logger).collect().isEmpty
            }
        }
    }

    public func changeCapture() async throws -> CaptureState? {
        guard CaptureLayout.supports(configuration.source, columnMode: try await layout().isColumnMode) else {
            return nil
        }
        let names = try await captureNames()
        return try await database("change capture") {
            guard try await tableExists(names.state), try await tableExists(names.changes) else { return nil }
            var builder = SQLBuilder()
            builder.sql = """
                SELECT c.fingerprint, c.full_check_at, n.pending, n.latest, n.everything FROM \(names.state) AS c,
                    (SELECT count(*) AS pending, coalesce(max(seq), 0) AS latest,
                        coalesce(bool_or(row_id IS NULL), false) AS everything FROM \(names.changes)) AS n
                WHERE c.target = \(builder.bind(names.capture.target))
                """
            guard let row = try await client.query(builder.query, logger: logger).collect().first else { return nil }
            let (fingerprint, at, pending, latest, everything) = try row.decode(
                (String?, Double?, Int64, Int64, Bool).self)
            var fullCheck: FullCheck?
            if let fingerprint, let at { fullCheck = FullCheck(fingerprint: fingerprint, startedAt: at) }
            return CaptureState(pending: Int(pending), latest: latest, everything: everything, fullCheck: fullCheck)
        }
    }

    public func capturedChanges(after: Int64, upTo: Int64, limit: Int) async throws -> [CapturedChange] {
        let names = try await captureNames()
        return try await database("change capture") {
            var builder = SQLBuilder()
            builder.sql = """
                SELECT seq, row_id FROM \(names.changes)
                WHERE seq > \(builder.bind(after)) AND seq <= \(builder.bind(upTo)) ORDER BY seq
                LIMIT \(builder.bind(Int64(limit)))
                """
            return try await client.query(builder.query, logger: logger).collect().map { row in
                let (sequence, id) = try row.decode((Int64, String?).self)
                return CapturedChange(sequence: sequence, id: id.map { rowID($0, layout: names.layout) })
            }
        }
    }

    public func consumeChanges(upTo: Int64, requeue: [RowID], fullCheck: FullCheck?) async throws {
        let names = try await captureNames()
        try await database("change capture") {
            try await transaction { [self] connection in
                var delete = SQLBuilder()
                delete.sql = "DELETE FROM \(names.changes) WHERE seq <= \(delete.bind(upTo))"
                try await connection.query(delete.query, logger: logger)
                if !requeue.isEmpty {
                    var insert = SQLBuilder()
                    insert.sql = """
                        INSERT INTO \(names.changes) (row_id)
                        SELECT unnest(\(insert.bind(requeue.map(\.description)))::text[])
                        """
                    try await connection.query(insert.query, logger: logger)
                }
                if let fullCheck {
                    var update = SQLBuilder()
                    update.sql = """
                        UPDATE \(names.state) SET fingerprint = \(update.bind(fullCheck.fingerprint)),
                            full_check_at = \(update.bind(fullCheck.startedAt))
                        WHERE target = \(update.bind(names.capture.target))
                        """
                    try await connection.query(update.query, logger: logger)
                }
            }
        }
    }

    public func pruneOrphans(ids: [RowID], run: RunRecord) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let layout = try await layout()
        return try await database("prune") {
            guard try await tableExists(layout.target) else { return 0 }
            let failures = try await tableExists(layout.failures)
            return try await transaction { [self] connection -> Int in
                let gone = "NOT EXISTS (SELECT 1 FROM \(layout.sourceSQL) AS s WHERE s.\(layout.id) = t.id)"
                var delete = SQLBuilder()
                delete.sql = """
                    WITH gone AS (
                        DELETE FROM \(layout.target) AS t
                        WHERE t.id = ANY(\(delete.bind(ids.map(\.description)))::text[]::\(layout.idType)[]) AND \(gone)
                        RETURNING t.id::text
                    ) SELECT id FROM gone
                    """
                let deleted = try await connection.query(delete.query, logger: logger).collect().map {
                    try $0.decode(String.self)
                }
                if failures, !deleted.isEmpty {
                    var builder = SQLBuilder()
                    builder.sql = """
                        DELETE FROM \(layout.failures) WHERE target = \(builder.bind(layout.targetName))
                          AND row_id = ANY(\(builder.bind(deleted))::text[])
                        """
                    try await connection.query(builder.query, logger: logger)
                }
                if !deleted.isEmpty { try await upsertRun(connection, run, delta: nil, layout: layout) }
                return deleted.count
            }
        }
    }
}
