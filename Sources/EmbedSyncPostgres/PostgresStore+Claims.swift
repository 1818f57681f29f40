import EmbedSyncCore
import PostgresNIO

extension PostgresStore {
    /// Workers on any number of machines share the table through leased claims.
    public var sharing: StoreSharing { .shared }

    /// Leases rows to this worker in `embedsync_claims(target, row_id, run_id, expires_at)`, so that workers sharing a
    /// table never send the same row to the provider.
    ///
    /// A row is granted when nobody holds it, when this run already holds it, when its holder is dead — `holder_pid`,
    /// the backend of the holder's guard connection, is gone from `pg_stat_activity` (PostgreSQL ends a backend
    /// as soon as its client's socket closes, so a killed worker's rows are free at once, and a rerun right after a
    /// crash completes the job) — or when its lease ran out (`run.claim_lease`, default 120 s: the fallback for a
    /// holder without a guard backend). Each commit deletes the claims of its rows; a claim refreshes the run's other
    /// leases every third of a lease. A row that
    /// another worker stored after this worker's scan read it (its stored hash or model is no longer what the scan
    /// saw) is given back at once instead of being embedded twice. The claims table is created by the first claim;
    /// ``releaseClaims(_:runID:)`` drops it again when a run gives up before anything was committed.
    public func claim(_ ids: [RowID], runID: String) async throws -> Set<RowID> {
        guard !ids.isEmpty else { return [] }
        let layout = try await layout()
        var attempt = 0
        while true {
            do {
                return try await database("claim") { try await claimOnce(ids, runID: runID, layout: layout) }
            } catch let error as EmbedSyncError where attempt == 0 && error.sqlState == "42P01" {
                // Another worker dropped an empty claims table between our check and our insert: create it again.
                attempt += 1
                state.withLock { _ = $0.existing.remove(layout.claims) }
            }
        }
    }

    private func claimOnce(_ ids: [RowID], runID: String, layout: Layout) async throws -> Set<RowID> {
        try await createClaimsTable(layout)
        let byText = Dictionary(ids.map { ($0.description, $0) }, uniquingKeysWith: { first, _ in first })
        // -1 when this run holds no guard connection: such claims fall back to the lease alone.
        let holderPID = state.withLock { $0.guardPID } ?? -1
        let lease =
            Double(configuration.claimLease.components.seconds) + Double(
                configuration.claimLease.components.attoseconds) / 1e18
        let granted = try await transaction { [self] connection in
            try await refreshLeasesIfDue(connection, runID: runID, layout: layout)
            // Free rows: a plain insert that skips rows someone holds (it never locks another worker's claim).
            // Sorted, so two workers claiming overlapping rows insert them in the same order.
            var insert = SQLBuilder()
            let leaseSQL = "now() + make_interval(secs => \(insert.bind(lease)))"
            insert.sql = """
                INSERT INTO \(layout.claims) (target, row_id, run_id, expires_at, holder_pid)
                SELECT \(insert.bind(layout.targetName)), r, \(insert.bind(runID)), \(leaseSQL),
                    \(insert.bind(holderPID))::integer
                FROM unnest(\(insert.bind(byText.keys.sorted()))::text[]) AS r
                ON CONFLICT (target, row_id) DO NOTHING
                RETURNING row_id
                """
            var granted = Set(
                try await connection.query(insert.query, logger: logger).collect().map { try $0.decode(String.self) })
            // Rows whose holder died or whose lease ran out, or that this run already holds; rows another transaction
            // is touching right now are skipped, not waited for.
            let rest = byText.keys.filter { !granted.contains($0) }.sorted()
            if !rest.isEmpty {
                var takeover = SQLBuilder()
                let target = takeover.bind(layout.targetName)
                let run = takeover.bind(runID)
                let leaseSQL = "now() + make_interval(secs => \(takeover.bind(lease)))"
                takeover.sql = """
                    UPDATE \(layout.claims) AS c SET run_id = \(run), expires_at = \(leaseSQL), holder_pid =
                        \(takeover.bind(holderPID))::integer
                    WHERE (c.target, c.row_id) IN (
                        SELECT h.target, h.row_id FROM \(layout.claims) AS h
                        WHERE h.target = \(target) AND h.row_id = ANY(\(takeover.bind(rest))::text[])
                          AND (h.expires_at < now() OR h.run_id = \(run)
                            OR (h.holder_pid > 0
                                AND NOT EXISTS (SELECT 1 FROM pg_stat_activity AS a WHERE a.pid = h.holder_pid)))
                        ORDER BY h.row_id FOR UPDATE SKIP LOCKED)
                    RETURNING c.row_id
                    """
                granted.formUnion(
                    try await connection.query(takeover.query, logger: logger).collect().map {
                        try $0.decode(String.self)
                    })
            }
            return granted
        }
        guard !granted.isEmpty else { return [] }
        // Rows another worker stored after our scan read them are checked in a second transaction, never in the one
        // that claimed them. An insert that waited for another worker's first commit (which creates the target and
        // deletes that worker's claims) gets those rows, but its transaction still has the catalog of before that
        // commit cached: `to_regclass` said "no target" and the batch was embedded twice. A new transaction reads
        // the catalog afresh. Until it ends, the rows are only held, never embedded.
        return try await transaction { [self] connection in
            let targetExists =
                try await connection.query("SELECT to_regclass(\(layout.target)) IS NOT NULL", logger: logger)
                .collect().first?.decode(Bool.self) ?? false
            guard targetExists else { return Set(granted.compactMap { byText[$0] }) }

            // Rows stored by another worker since our scan read them are up to date now: give them back.
            var check = SQLBuilder()
            check.sql = """
                SELECT t.id::text, t.content_hash, t.model FROM \(layout.target) AS t
                WHERE t.id = ANY(\(check.bind(Array(granted)))::text[]::\(layout.idType)[])
                """
            var current: [String: StoredState] = [:]
            for row in try await connection.query(check.query, logger: logger).collect() {
                let (id, hash, model) = try row.decode((String, String, String).self)
                current[id] = StoredState(contentHash: hash, modelKey: model)
            }
            let seen = state.withLock { state in granted.map { ($0, state.seen.lookup(byText[$0] ?? .text($0))) } }
            let lost = seen.compactMap { id, sawStored -> String? in
                guard let sawStored else { return nil }  // not seen by a recent scan
                return current[id] == sawStored ? nil : id
            }
            var kept = granted
            if !lost.isEmpty {
                var release = SQLBuilder()
                release.sql = """
                    DELETE FROM \(layout.claims) WHERE target = \(release.bind(layout.targetName)) AND run_id =
                        \(release.bind(runID))
                      AND row_id = ANY(\(release.bind(lost))::text[])
                    """
                try await connection.query(release.query, logger: logger)
                kept.subtract(lost)
            }
            return Set(kept.compactMap { byText[$0] })
        }
    }

    private func createClaimsTable(_ layout: Layout) async throws {
        let upgraded = layout.claims + " holder_pid"
        if try await tableExists(layout.claims) {
            // A claims table made by an earlier version lacks holder_pid: add it once per process.
            guard !state.withLock({ $0.existing.contains(upgraded) }) else { return }
            try await transaction { [self] connection in
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "ALTER TABLE \(layout.claims) ADD COLUMN IF NOT EXISTS holder_pid integer"),
                    logger: logger)
            }
            state.withLock { _ = $0.existing.insert(upgraded) }
            return
        }
        try await transaction { [self] connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(PostgresStore.lockClass), hashtext('embedsync ddl'))", logger: logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(layout.claims) (
                            target text NOT NULL, row_id text NOT NULL, run_id text NOT NULL, expires_at timestamptz
                                NOT NULL,
                            holder_pid integer, PRIMARY KEY (target, row_id))
                        """), logger: logger)
        }
        state.withLock {
            _ = $0.existing.insert(layout.claims)
            _ = $0.existing.insert(upgraded)
        }
    }

    /// Extends the leases this run holds by ``Configuration/claimLease``, when a third of a lease has passed since the
    /// last refresh. Rows are locked in id order, skipping those a commit of this run is releasing right now.
    func refreshLeasesIfDue(_ connection: PostgresConnection, runID: String, layout: Layout) async throws {
        let lease = configuration.claimLease
        let now = ContinuousClock.now
        let due = state.withLock { state in
            guard let last = state.leasesRefreshed, now - last < lease / 3 else {
                state.leasesRefreshed = now
                return true
            }
            return false
        }
        guard due else { return }
        var builder = SQLBuilder()
        let target = builder.bind(layout.targetName)
        let seconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        builder.sql = """
            UPDATE \(layout.claims) AS c SET expires_at = now() + make_interval(secs => \(builder.bind(seconds)))
            WHERE (c.target, c.row_id) IN (
                SELECT h.target, h.row_id FROM \(layout.claims) AS h
                WHERE h.target = \(target) AND h.run_id = \(builder.bind(runID))
                ORDER BY h.row_id FOR UPDATE SKIP LOCKED)
            """
        try await connection.query(builder.query, logger: logger)
    }

    /// Deletes this run's claims on `ids`. When nothing was ever committed to the target and no claim is left, the
    /// claims table is dropped again, so a run that failed before its first commit leaves the database as it was.
    public func releaseClaims(_ ids: [RowID], runID: String) async {
        // Best effort, and bounded: it runs after a failure, maybe with the server gone (the claims then lapse).
        let seconds = Double(configuration.transactionTimeout.components.seconds)
        _ = try? await withDeadline(seconds: seconds, onTimeout: { CancellationError() }) { [self] in
            await releaseClaimsNow(ids, runID: runID)
        }
    }

    private func releaseClaimsNow(_ ids: [RowID], runID: String) async {
        guard !ids.isEmpty, let layout = try? await layout(), (try? await tableExists(layout.claims)) == true else {
            return
        }
        do {
            try await transaction { [self] connection in
                var builder = SQLBuilder()
                builder.sql = """
                    DELETE FROM \(layout.claims) WHERE target = \(builder.bind(layout.targetName)) AND run_id =
                        \(builder.bind(runID))
                      AND row_id = ANY(\(builder.bind(ids.map(\.description)))::text[])
                    """
                try await connection.query(builder.query, logger: logger)
            }
            guard try await !tableExists(layout.target), try await !tableExists(layout.runs) else { return }
            try await transaction { [self] connection in
                try await connection.query(
                    PostgresQuery(unsafeSQL: "LOCK TABLE \(layout.claims) IN ACCESS EXCLUSIVE MODE NOWAIT"),
                    logger: logger)
                let left = try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(layout.claims)"), logger: logger
                ).collect()
                if try left.first?.decode(Int64.self) == 0 {
                    try await connection.query(PostgresQuery(unsafeSQL: "DROP TABLE \(layout.claims)"), logger: logger)
                }
            }
            state.withLock { _ = $0.existing.remove(layout.claims) }
        } catch {
            logger.info("could not release claims", metadata: ["embedsync.error": "\(describe(error))"])
        }
    }

    /// The run guard, on a dedicated connection that holds a session advisory lock keyed on the target table.
    ///
    /// On PostgreSQL, workers that are not exclusive run *concurrently* and share the rows through claims, so:
    /// - `wait: true` (a plain run) takes the **shared** lock when it can and returns `true` at once either way; it
    ///   never waits for another run.
    /// - `wait: false` (`--exclusive`) takes the **exclusive** lock and returns `false` when any other run holds the
    ///   lock, exclusive or shared.
    ///
    /// The lock lives as long as the connection: ``releaseRunGuard()`` closes it, and a killed process's lock goes
    /// away with its connection.
    public func acquireRunGuard(wait: Bool) async throws -> Bool {
        let layout = try await layout()
        let connection = try await directConnection()
        let key = "embedsync run \(layout.target)"
        do {
            let query: PostgresQuery =
                wait
                ? "SELECT pg_try_advisory_lock_shared(\(PostgresStore.lockClass), hashtext(\(key)))"
                : "SELECT pg_try_advisory_lock(\(PostgresStore.lockClass), hashtext(\(key)))"
            let taken = try await connection.query(query, logger: logger).collect().first?.decode(Bool.self) ?? false
            if taken {
                let pid = try await connection.query("SELECT pg_backend_pid()", logger: logger).collect().first?.decode(
                    Int32.self)
                let previous = state.withLock { state -> PostgresConnection? in
                    defer {
                        state.guardConnection = connection
                        state.guardPID = pid
                    }
                    return state.guardConnection
                }
                if let previous { await PostgresStore.closeBounded(previous) }
            } else {
                try? await connection.close()
            }
            return wait || taken
        } catch {
            try? await connection.close()
            throw EmbedSyncError(.database, "PostgreSQL run guard failed on \(url): \(describe(error))")
        }
    }

    public func releaseRunGuard() async {
        let connection = state.withLock { state -> PostgresConnection? in
            defer {
                state.guardConnection = nil
                state.guardPID = nil
            }
            return state.guardConnection
        }
        if let connection { await PostgresStore.closeBounded(connection) }
    }
}
