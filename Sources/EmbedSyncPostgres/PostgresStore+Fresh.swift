import EmbedSyncCore
import PostgresNIO

/// PostgreSQL keeps, beside each vector in table mode, `source_fingerprint`: the md5 of the template and the row's
/// template fields as the server renders them (`ROW(…)::text`). A run's scan leaves out rows whose fingerprint still
/// matches, so a run over an unchanged table transfers nothing; a commit clears the fingerprint of the rows it writes,
/// and a run sets it for rows it found up to date.
extension PostgresStore: FreshnessFilteringStore {
    /// `md5(template || chr(31) || ROW(s.field::text, …)::text)`, the template bound.
    func fingerprintSQL(_ builder: inout SQLBuilder, key: FreshnessKey) -> String {
        let fields = key.fields.map { "s.\(quoteIdentifier($0))::text" }.joined(separator: ", ")
        return "md5(\(builder.bind(key.template)) || chr(31) || ROW(\(fields))::text)"
    }

    /// Adds the fingerprint column to a table-mode target made before it existed (once per process and target).
    public func prepareRun() async throws {
        let layout = try await layout()
        guard !layout.isColumnMode, try await tableExists(layout.target) else { return }
        try await database("fingerprint column") {
            try await transaction { [self] connection in try await ensureFingerprintColumn(connection, layout: layout) }
        }
    }

    /// 1 when the target has its `source_fingerprint` column, else 0.
    static func fingerprintColumnCount(_ layout: Layout) -> PostgresQuery {
        """
        SELECT count(*) FROM pg_attribute
        WHERE attrelid = to_regclass(\(layout.target)) AND attname = 'source_fingerprint' AND NOT attisdropped
        """
    }

    /// Adds `source_fingerprint` to the target when it lacks it (only then: `ALTER TABLE` locks the whole table), and
    /// remembers that it has it: commits clear it from then on.
    func ensureFingerprintColumn(_ connection: PostgresConnection, layout: Layout) async throws {
        guard !layout.isColumnMode, !state.withLock({ $0.fingerprinted.contains(layout.target) }) else { return }
        let rows = try await connection.query(PostgresStore.fingerprintColumnCount(layout), logger: logger).collect()
        if try rows.first?.decode(Int64.self) ?? 0 == 0 {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "ALTER TABLE \(layout.target) ADD COLUMN IF NOT EXISTS source_fingerprint text"),
                logger: logger)
        }
        state.withLock { _ = $0.fingerprinted.insert(layout.target) }
    }

    public func canSkipFresh() async throws -> Bool {
        let layout = try await layout()
        guard !layout.isColumnMode, try await tableExists(layout.target) else { return false }
        if state.withLock({ $0.fingerprinted.contains(layout.target) }) { return true }
        // A read-only command (estimate, status) looks in the catalog instead of adding the column.
        let present = try await database("fingerprint column") {
            try await client.query(PostgresStore.fingerprintColumnCount(layout), logger: logger).collect().first?
                .decode(Int64.self) ?? 0 > 0
        }
        if present { state.withLock { _ = $0.fingerprinted.insert(layout.target) } }
        return present
    }

    public func scanSkippingFresh(
        after: RowID?, limit: Int, fields: [String], key: FreshnessKey
    ) async throws -> [ScannedRow] {
        let layout = try await layout()
        return try await database("scan") {
            var builder = SQLBuilder()
            let bound = after.map { "\(builder.bind($0.description))::\(layout.idType)" }
            let fingerprint = fingerprintSQL(&builder, key: key)
            builder = try await scanSelect(
                builder, layout: layout, fields: fields, targetAfter: bound, extraColumns: [fingerprint])
            let failed = try await tableExists(layout.failures) ? " OR f.row_id IS NOT NULL" : ""
            builder.sql += " WHERE "
            if let bound { builder.sql += "s.\(layout.id) > \(bound) AND " }
            builder.sql += """
                (t.source_fingerprint IS DISTINCT FROM \(fingerprint) \
                OR t.model IS DISTINCT FROM \(builder.bind(key.modelKey))\(failed))
                ORDER BY s.\(layout.id) LIMIT \(builder.bind(Int64(limit)))
                """
            return try await fetchScanned(builder.query, layout: layout, fields: fields, fingerprinted: true)
        }
    }

    public func countSourceRows() async throws -> Int {
        let layout = try await layout()
        return try await database("count") {
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(layout.sourceSQL) AS s"), logger: logger
            ).collect()
            return Int(try rows.first?.decode(Int64.self) ?? 0)
        }
    }

    public func markFresh(_ rows: [FreshRow], key: FreshnessKey) async throws {
        guard !rows.isEmpty else { return }
        let layout = try await layout()
        try await database("fingerprint") {
            var builder = SQLBuilder()
            let fingerprint = fingerprintSQL(&builder, key: key)
            builder.sql = """
                UPDATE \(layout.target) AS t SET source_fingerprint = u.fp
                FROM unnest(\(builder.bind(rows.map(\.id.description)))::text[], \
                \(builder.bind(rows.map(\.contentHash)))::text[], \(builder.bind(rows.map(\.fingerprint)))::text[])
                    AS u(id, hash, fp), \(layout.sourceSQL) AS s
                WHERE t.id = u.id::\(layout.idType) AND s.\(layout.id) = t.id AND t.content_hash = u.hash
                  AND t.model = \(builder.bind(key.modelKey)) AND \(fingerprint) = u.fp
                """
            let query = builder.query
            _ = try await transaction { [self] connection in try await connection.query(query, logger: logger) }
        }
    }
}
