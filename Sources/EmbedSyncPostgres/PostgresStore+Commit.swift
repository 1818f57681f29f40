import EmbedSyncCore
import PostgresNIO

extension PostgresStore {
    /// Stores one batch in one transaction: the vectors (one multi-row statement fed by `unnest` over bound arrays),
    /// the failures, the run counters, and the release of this worker's claims on the batch's rows. (Leases are
    /// refreshed by ``claim(_:runID:)``, never here: a worker's commits run concurrently, and each one updating all
    /// of the run's claims locked them in different orders and deadlocked.)
    ///
    /// Rows whose source text changed since they were read (the classifier re-renders the current fields) are not
    /// stored: they stay stale and the next run embeds their new text.
    public func commit(_ batch: BatchCommit) async throws {
        let layout = try await layout()
        let vectorType = try await vectorSchema() + ".vector"
        let claimsExist = try await tableExists(layout.claims)
        try await database("commit") {
            try await transaction { [self] connection in
                try await createTables(connection, layout: layout, dimensions: batch.model.dimensions)
                // Every commit of this process clears or sets fingerprints from now on (once per process).
                try await ensureFingerprintColumn(connection, layout: layout)
                let (kept, fingerprints) = try await currentRows(connection, batch: batch, layout: layout)
                if !kept.isEmpty {
                    try await storeVectors(
                        connection, kept, fingerprints: fingerprints, model: batch.model, layout: layout,
                        vectorType: vectorType)
                    try await storeChunks(
                        connection, kept, model: batch.model, layout: layout, vectorType: vectorType)
                    var delete = SQLBuilder()
                    delete.sql = """
                        DELETE FROM \(layout.failures) WHERE target = \(delete.bind(layout.targetName))
                          AND row_id = ANY(\(delete.bind(kept.map(\.id.description)))::text[])
                        """
                    try await connection.query(delete.query, logger: logger)
                }
                if !batch.failed.isEmpty {
                    try await recordFailures(connection, batch.failed, runID: batch.run.id, layout: layout)
                }
                if claimsExist {
                    let ids = batch.embedded.map(\.id.description) + batch.failed.map(\.id.description)
                    var release = SQLBuilder()
                    let runID = release.bind(batch.run.id)
                    release.sql = """
                        DELETE FROM \(layout.claims) WHERE target = \(release.bind(layout.targetName)) AND run_id =
                            \(runID)
                          AND row_id = ANY(\(release.bind(ids))::text[])
                        """
                    try await connection.query(release.query, logger: logger)
                }
                var counted = batch
                counted.embedded = kept
                try await upsertRun(connection, batch.run, delta: counted, layout: layout)
            }
            markTablesCreated(layout)
        }
    }

    /// The embedded rows whose source text is still the text that was embedded, and the fingerprint of the fields
    /// they were read with in this check (by id; ``FreshnessFilteringStore``), which is what the commit stores.
    private func currentRows(
        _ connection: PostgresConnection, batch: BatchCommit, layout: Layout
    ) async throws -> ([EmbeddedRow], [String: String]) {
        guard let classifier = batch.classifier, !batch.embedded.isEmpty else { return (batch.embedded, [:]) }
        let fields = classifier.template.fields
        var builder = SQLBuilder()
        var columnList = ["s.\(layout.id)::text"] + fields.map { "s.\(quoteIdentifier($0))::text" }
        let fingerprinted = state.withLock { $0.fingerprinted.contains(layout.target) }
        if fingerprinted {
            let key = FreshnessKey(
                template: classifier.freshnessTemplate, modelKey: classifier.model.storageKey, fields: fields)
            columnList.append(fingerprintSQL(&builder, key: key))
        }
        let columns = columnList.joined(separator: ", ")
        builder.sql = """
            SELECT \(columns) FROM \(layout.sourceSQL) AS s
            WHERE s.\(layout.id) =
                ANY(\(builder.bind(batch.embedded.map(\.id.description)))::text[]::\(layout.idType)[])
            """
        var currentHash: [String: String] = [:]
        var fingerprints: [String: String] = [:]
        for try await row in try await connection.query(builder.query, logger: logger) {
            let cells = row.makeRandomAccess()
            guard let id = try cells[0].decode(String?.self) else { continue }
            var values: [String: String?] = [:]
            for (index, field) in fields.enumerated() { values[field] = try cells[index + 1].decode(String?.self) }
            currentHash[id] = classifier.contentHash(text: classifier.template.render(values))
            if fingerprinted { fingerprints[id] = try cells[fields.count + 1].decode(String.self) }
        }
        let kept = batch.embedded.filter { currentHash[$0.id.description] == $0.contentHash }
        if kept.count < batch.embedded.count {
            logger.info(
                "rows changed while they were embedded; left stale for the next run",
                metadata: [
                    "embedsync.skipped": "\(batch.embedded.count - kept.count)", "embedsync.run": "\(batch.run.id)",
                ])
        }
        return (kept, fingerprints)
    }

    private func storeVectors(
        _ connection: PostgresConnection, _ rows: [EmbeddedRow], fingerprints: [String: String], model: ModelIdentity,
        layout: Layout, vectorType: String
    ) async throws {
        let dimensions = model.dimensions
        var flat: [Float] = []
        flat.reserveCapacity(rows.count * dimensions)
        for row in rows {
            guard row.vector.count == dimensions else {
                throw EmbedSyncError(
                    .database,
                    """
                    Refusing to store a \(row.vector.count)-dimensional vector for row \(row.id): \(model.storageKey) \
                    has \(dimensions).
                    """
                )
            }
            flat += row.vector
        }
        var builder = SQLBuilder()
        let ids = builder.bind(rows.map(\.id.description))
        let hashes = builder.bind(rows.map(\.contentHash))
        let vectors = builder.bind(flat)
        let modelKey = builder.bind(model.storageKey)
        let slice = "(\(vectors)::float4[])[(u.n - 1) * \(dimensions) + 1 : u.n * \(dimensions)]::\(vectorType)"
        if let vectorColumn = layout.vectorColumn, let table = layout.sourceTable {
            builder.sql = """
                WITH input AS (
                    SELECT u.id::\(layout.idType) AS id, u.hash, \(slice) AS embedding
                    FROM unnest(\(ids)::text[], \(hashes)::text[]) WITH ORDINALITY AS u(id, hash, n)
                ), updated AS (
                    UPDATE \(table) AS s SET \(quoteIdentifier(vectorColumn)) = input.embedding
                    FROM input WHERE s.\(layout.id) = input.id
                    RETURNING s.\(layout.id) AS id
                )
                INSERT INTO \(layout.target) AS t (id, content_hash, model, dimensions, updated_at)
                SELECT input.id, input.hash, \(modelKey), \(dimensions), now() FROM input JOIN updated ON updated.id =
                    input.id
                ON CONFLICT (id) DO UPDATE SET content_hash = excluded.content_hash, model = excluded.model,
                    dimensions = excluded.dimensions, updated_at = excluded.updated_at
                """
        } else {
            // Texts are left out (NULL) when the target keeps none: unnest pads the shorter array with NULLs.
            let texts = builder.bind(configuration.storeText ? rows.map(\.text) : [])
            // The fingerprint of the fields this commit checked the text against ('' → NULL: not known).
            let fingerprinted = state.withLock { $0.fingerprinted.contains(layout.target) }
            let prints = builder.bind(fingerprinted ? rows.map { fingerprints[$0.id.description] ?? "" } : [])
            let column = fingerprinted ? ", source_fingerprint" : ""
            let value = fingerprinted ? ", NULLIF(u.fp, '')" : ""
            let update = fingerprinted ? ", source_fingerprint = excluded.source_fingerprint" : ""
            builder.sql = """
                INSERT INTO \(layout.target) AS t (id, embedding, content_hash, model, dimensions, text, created_at,
                    updated_at\(column))
                SELECT u.id::\(layout.idType), \(slice), u.hash, \(modelKey), \(dimensions), u.text, now(),
                    now()\(value)
                FROM unnest(\(ids)::text[], \(hashes)::text[], \(texts)::text[], \(prints)::text[])
                    WITH ORDINALITY AS u(id, hash, text, fp, n)
                WHERE u.id IS NOT NULL
                ON CONFLICT (id) DO UPDATE SET embedding = excluded.embedding, content_hash = excluded.content_hash,
                    model = excluded.model, dimensions = excluded.dimensions, text = excluded.text, updated_at =
                        excluded.updated_at\(update)
                """
        }
        try await connection.query(builder.query, logger: logger)
    }

    /// Records failures, counting failed runs by ``FailureCounting`` (the one rule every store applies). The rows'
    /// failure records are locked while counting; claims keep two workers off one row in any case.
    private func recordFailures(
        _ connection: PostgresConnection, _ rows: [FailedRow], runID: String, layout: Layout
    ) async throws {
        let ids = rows.map(\.id.description)
        var lookup = SQLBuilder()
        lookup.sql = """
            SELECT row_id, runs, content_hash, last_run FROM \(layout.failures)
            WHERE target = \(lookup.bind(layout.targetName)) AND row_id = ANY(\(lookup.bind(ids))::text[]) FOR UPDATE
            """
        var previous: [String: (runs: Int, contentHash: String?, lastRun: String?)] = [:]
        for try await (id, runs, hash, lastRun) in try await connection.query(lookup.query, logger: logger).decode(
            (String, Int32, String?, String?).self)
        {
            previous[id] = (Int(runs), hash, lastRun)
        }
        let runs = rows.map {
            Int64(
                FailureCounting.runs(previous: previous[$0.id.description], contentHash: $0.contentHash, runID: runID))
        }
        var builder = SQLBuilder()
        builder.sql = """
            INSERT INTO \(layout.failures) AS f (target, row_id, content_hash, error_class, message, attempts, runs,
                last_run, updated_at)
            SELECT \(builder.bind(layout.targetName)), u.id, u.hash, u.class, u.message, u.attempts, u.runs,
                \(builder.bind(runID)), now()
            FROM unnest(\(builder.bind(ids))::text[], \(builder.bind(rows.map(\.contentHash)))::text[],
                        \(builder.bind(rows.map(\.errorClass)))::text[],
                            \(builder.bind(rows.map { String($0.message.prefix(2000)) }))::text[],
                        \(builder.bind(rows.map { Int64($0.attempts) }))::int8[], \(builder.bind(runs))::int8[])
                 AS u(id, hash, class, message, attempts, runs)
            ON CONFLICT (target, row_id) DO UPDATE SET
                runs = excluded.runs, attempts = f.attempts + excluded.attempts, content_hash = excluded.content_hash,
                error_class = excluded.error_class, message = excluded.message,
                last_run = excluded.last_run, updated_at = excluded.updated_at
            """
        try await connection.query(builder.query, logger: logger)
    }

    /// Inserts the run row when missing and adds the batch's counts (`delta`), in one statement.
    func upsertRun(_ connection: PostgresConnection, _ run: RunRecord, delta: BatchCommit?, layout: Layout) async throws
    {
        var builder = SQLBuilder()
        let embedded = Int64(delta?.embedded.count ?? 0)
        let failed = Int64(delta?.failed.count ?? 0)
        builder.sql = """
            INSERT INTO \(layout.runs) AS r (id, target, started_at, status, provider, model, dimensions, embedded,
                failed, tokens, cost_usd, requests)
            VALUES (\(builder.bind(run.id)), \(builder.bind(layout.targetName)),
                to_timestamp(\(builder.bind(run.startedAt))), 'running',
                    \(builder.bind(run.model.provider)), \(builder.bind(run.model.model)),
                        \(builder.bind(Int64(run.model.dimensions))),
                    \(builder.bind(embedded)), \(builder.bind(failed)), \(builder.bind(Int64(delta?.tokens ?? 0))),
                    \(builder.bind(delta?.costUSD ?? 0)), \(builder.bind(Int64(delta?.requests ?? 0))))
            ON CONFLICT (id) DO UPDATE SET embedded = r.embedded + excluded.embedded, failed = r.failed +
                excluded.failed,
                tokens = r.tokens + excluded.tokens, cost_usd = r.cost_usd + excluded.cost_usd, requests = r.requests +
                    excluded.requests
            """
        try await connection.query(builder.query, logger: logger)
    }
}
