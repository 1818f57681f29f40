import EmbedSyncCore
import Foundation

extension LibSQLStore {
    static let claimsTable = "embedsync_claims"
    /// The server's clock in Unix seconds (claims compare the server's time, not each worker's).
    static let serverNow = "((julianday('now') - 2440587.5) * 86400.0)"

    var leaseSeconds: Double {
        Double(configuration.claimLease.components.seconds) + Double(configuration.claimLease.components.attoseconds)
            / 1e18
    }

    /// Workers on any number of machines share the table through leased claims.
    public var sharing: StoreSharing { .shared }

    /// Leases rows to this worker in `embedsync_claims(target, row_id, run_id, expires_at)`, so that workers sharing a
    /// table never send the same row to the provider (the PostgreSQL store's rule, in one upsert).
    ///
    /// A row is granted when nobody holds it, when this run already holds it, or when its holder's lease ran out (a
    /// killed worker; ``Configuration/claimLease``, default 120 s). Each commit deletes the claims of its rows and
    /// refreshes the run's other leases. A row that another worker stored after this worker's scan read it is given
    /// back at once instead of being embedded twice. The claims table is created by the first claim;
    /// ``releaseClaims(_:runID:)`` drops it again when a run gives up before anything was committed.
    public func claim(_ ids: [RowID], runID: String) async throws -> Set<RowID> {
        guard !ids.isEmpty else { return [] }
        let byText = Dictionary(ids.map { ($0.description, $0) }, uniquingKeysWith: { first, _ in first })
        let results = try await client.batch([
            HranaStatement(
                "CREATE TABLE IF NOT EXISTS embedsync_claims (target TEXT NOT NULL, row_id TEXT NOT NULL, "
                    + "run_id TEXT NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (target, row_id))",
                wantRows: false),
            HranaStatement(
                """
                INSERT INTO embedsync_claims (target, row_id, run_id, expires_at)
                SELECT ?, value, ?, \(LibSQLStore.serverNow) + ? FROM json_each(?) WHERE true
                ON CONFLICT(target, row_id) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at
                WHERE embedsync_claims.expires_at < \(LibSQLStore.serverNow)
                    OR embedsync_claims.run_id = excluded.run_id
                RETURNING row_id
                """,
                [
                    .text(targetTable), .text(runID), .float(leaseSeconds),
                    LibSQLStore.jsonStrings(byText.keys.sorted()),
                ]),
        ])
        state.withLock { _ = $0.existing.insert(LibSQLStore.claimsTable) }
        var granted = Set(results[1].rows.compactMap { $0.first?.string })
        guard !granted.isEmpty, try await tableExists(targetTable) else {
            return Set(granted.compactMap { byText[$0] })
        }
        // Rows stored by another worker since our scan read them are up to date now: give them back.
        let stored = try await client.execute(
            HranaStatement(
                "SELECT id, content_hash, model FROM \(quoteIdentifier(targetTable)) "
                    + "WHERE id IN (SELECT value FROM json_each(?))",
                [LibSQLStore.jsonIDs(granted.compactMap { byText[$0] })]))
        var current: [String: String] = [:]
        for row in stored.rows {
            guard let id = LibSQLStore.rowID(row[0]), let hash = row[1].string, let model = row[2].string else {
                continue
            }
            current[id.description] = LibSQLStore.storedKey(StoredState(contentHash: hash, modelKey: model))
        }
        let seen = state.withLock { state in granted.map { ($0, byText[$0].flatMap { state.seen[$0] }) } }
        let lost = seen.compactMap { id, sawStored -> String? in
            guard let sawStored else { return nil }
            return (current[id] ?? "") == sawStored ? nil : id
        }
        if !lost.isEmpty {
            _ = try await client.batch(releaseStatements(lost, runID: runID))
            granted.subtract(lost)
        }
        return Set(granted.compactMap { byText[$0] })
    }

    static func jsonStrings(_ texts: [String]) -> HranaValue {
        let data =
            (try? JSONSerialization.data(withJSONObject: texts, options: .withoutEscapingSlashes)) ?? Data("[]".utf8)
        return .text(String(decoding: data, as: UTF8.self))
    }

    func releaseStatements(_ ids: [String], runID: String) -> [HranaStatement] {
        [
            HranaStatement(
                "DELETE FROM embedsync_claims WHERE target = ? AND run_id = ? "
                    + "AND row_id IN (SELECT value FROM json_each(?))",
                [.text(targetTable), .text(runID), LibSQLStore.jsonStrings(ids)], wantRows: false)
        ]
    }

    /// A commit's claim statements: delete this run's claims on the batch's rows and extend its other leases.
    func releaseAndRefresh(_ ids: [RowID], runID: String, now: Double) -> [HranaStatement] {
        releaseStatements(ids.map(\.description), runID: runID) + [
            HranaStatement(
                "UPDATE embedsync_claims SET expires_at = \(LibSQLStore.serverNow) + ? WHERE target = ? AND run_id = ?",
                [.float(leaseSeconds), .text(targetTable), .text(runID)], wantRows: false)
        ]
    }

    /// Deletes this run's claims on `ids`. When nothing was ever committed to the target and no claim is left, the
    /// claims table is dropped again, so a run that failed before its first commit leaves the database as it was.
    public func releaseClaims(_ ids: [RowID], runID: String) async {
        guard !ids.isEmpty, (try? await tableExists(LibSQLStore.claimsTable)) == true else { return }
        do {
            _ = try await client.batch(releaseStatements(ids.map(\.description), runID: runID))
            guard try await !tableExists(targetTable), try await !tableExists("embedsync_runs") else { return }
            let left = try await client.execute(HranaStatement("SELECT count(*) FROM embedsync_claims"))
            guard left.rows.first?.first?.int == 0 else { return }
            _ = try await client.batch([HranaStatement("DROP TABLE IF EXISTS embedsync_claims", wantRows: false)])
            forget([LibSQLStore.claimsTable])
        } catch {
            configuration.logger.info(
                "could not release claims", metadata: ["embedsync.error": "\(String(describing: error))"])
        }
    }

    /// A plain run shares the table through claims and never waits. An exclusive run (`wait: false`) gives up when
    /// another worker holds live claims on this target.
    public func acquireRunGuard(wait: Bool) async throws -> Bool {
        if wait { return true }
        guard try await tableExists(LibSQLStore.claimsTable) else { return true }
        let live = try await client.execute(
            HranaStatement(
                "SELECT count(*) FROM embedsync_claims WHERE target = ? AND expires_at > \(LibSQLStore.serverNow)",
                [.text(targetTable)]))
        return (live.rows.first?.first?.int ?? 0) == 0
    }

    public func releaseRunGuard() async {}
}
