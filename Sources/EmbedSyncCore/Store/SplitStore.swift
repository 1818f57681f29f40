/// A target store that keeps vectors and bookkeeping for rows that live in another database.
///
/// It never reads the source itself: ``SplitStore`` hands it the source's schema, reads the rows from the source
/// store and asks this one for what it holds about them.
public protocol DetachedTargetStore: SearchableStore {
    /// The source's schema (its id column and columns), read from the other database; called before any other use.
    func adoptSourceSchema(_ schema: SourceSchema)
    /// The stored vector state and failure state of these ids (ids with neither are left out).
    func storedStates(ids: [RowID]) async throws -> [RowID: (stored: StoredState?, failure: FailureState?)]
    /// Ids that have a stored vector, after `after` (exclusive), in id order; at most `limit`.
    func storedIDs(after: RowID?, limit: Int) async throws -> [RowID]
    /// Deletes the vectors and failure records of these ids (their source rows are gone); returns how many vectors.
    func deleteVectors(ids: [RowID], run: RunRecord) async throws -> Int
}

/// Rows read from one database, vectors, hashes and bookkeeping written to another (`target.database`).
///
/// The source store is only read: ``scan(after:limit:fields:)`` and ``rows(ids:fields:)`` take its rows and merge in
/// the target's stored state; commits, failures, runs, claims and search go to the target. Staleness and pruning
/// work across the two: a commit re-reads the batch's source rows and stores only those whose text is unchanged, and
/// pruning looks up the target's ids in the source page by page.
public final class SplitStore: SearchableStore {
    public let source: any EmbeddingStore
    public let target: any DetachedTargetStore

    public init(source: any EmbeddingStore, target: any DetachedTargetStore) {
        self.source = source
        self.target = target
    }

    public func sourceSchema() async throws -> SourceSchema { try await source.sourceSchema() }

    /// The target, told the source's schema (read lazily: a pooled source answers only once its service runs).
    private func prepared() async throws -> any DetachedTargetStore {
        target.adoptSourceSchema(try await source.sourceSchema())
        return target
    }

    public func validateTarget(model: ModelIdentity) async throws {
        try await prepared().validateTarget(model: model)
    }

    public func scan(after: RowID?, limit: Int, fields: [String]) async throws -> [ScannedRow] {
        try await merged(try await source.scan(after: after, limit: limit, fields: fields))
    }

    public func rows(ids: [RowID], fields: [String]) async throws -> [ScannedRow] {
        try await merged(try await source.rows(ids: ids, fields: fields))
    }

    /// The source rows with the target's stored state instead of whatever the source database holds.
    private func merged(_ rows: [ScannedRow]) async throws -> [ScannedRow] {
        guard !rows.isEmpty else { return [] }
        let states = try await prepared().storedStates(ids: rows.map(\.id))
        return rows.map { row in
            var row = row
            row.stored = states[row.id]?.stored
            row.failure = states[row.id]?.failure
            return row
        }
    }

    /// Re-reads the batch's source rows and hands the target only the rows whose text is what was embedded.
    public func commit(_ batch: BatchCommit) async throws {
        var batch = batch
        if let classifier = batch.classifier, !batch.embedded.isEmpty {
            let current = try await source.rows(ids: batch.embedded.map(\.id), fields: classifier.template.fields)
            var hashes: [RowID: String] = [:]
            for row in current {
                hashes[row.id] = classifier.contentHash(text: classifier.template.render(row.values))
            }
            batch.embedded = batch.embedded.filter { hashes[$0.id] == $0.contentHash }
        }
        batch.classifier = nil
        try await prepared().commit(batch)
    }

    public func pruneOrphans(run: RunRecord) async throws -> Int {
        var deleted = 0
        let target = try await prepared()
        try await forEachOrphanPage { orphans in deleted += try await target.deleteVectors(ids: orphans, run: run) }
        return deleted
    }

    public func countOrphans() async throws -> Int {
        var count = 0
        try await forEachOrphanPage { count += $0.count }
        return count
    }

    /// Walks the target's ids in pages and calls `body` with those whose source row is gone.
    private func forEachOrphanPage(_ body: ([RowID]) async throws -> Void) async throws {
        let target = try await prepared()
        var after: RowID?
        while true {
            let ids = try await target.storedIDs(after: after, limit: 2_000)
            guard let last = ids.last else { return }
            let present = Set(try await source.rows(ids: ids, fields: []).map(\.id))
            let orphans = ids.filter { !present.contains($0) }
            if !orphans.isEmpty { try await body(orphans) }
            after = last
        }
    }

    public func finishRun(_ run: RunRecord) async throws { try await prepared().finishRun(run) }
    public func lastRun() async throws -> RunRecord? { try await prepared().lastRun() }
    public func failures(limit: Int) async throws -> [FailureRecord] { try await prepared().failures(limit: limit) }
    public func acquireRunGuard(wait: Bool) async throws -> Bool { try await prepared().acquireRunGuard(wait: wait) }
    public func acquireRunGuard(wait: Bool, timeout: Double?) async throws -> Bool {
        try await prepared().acquireRunGuard(wait: wait, timeout: timeout)
    }
    public func releaseRunGuard() async { await target.releaseRunGuard() }
    public func prepareRun() async throws { try await prepared().prepareRun() }
    public func reset() async throws { try await prepared().reset() }
    public var sharing: StoreSharing { target.sharing }

    public func claim(_ ids: [RowID], runID: String) async throws -> Set<RowID> {
        try await prepared().claim(ids, runID: runID)
    }

    public func releaseClaims(_ ids: [RowID], runID: String) async {
        await target.releaseClaims(ids, runID: runID)
    }

    /// The target's search; a `filter` on the source's columns is not supported across two databases.
    public func search(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit] {
        if filter != nil {
            throw EmbedSyncError(
                .usage, "\(.filter) is not supported when the vectors live in \(.targetDatabase), apart from the rows.")
        }
        // The target holds no source columns: callers read the hits' rows from the source (``rows(ids:fields:)``).
        return try await prepared().search(
            query: query, model: model, k: k, minScore: minScore, filter: nil, fields: [])
    }

    public func storedModels() async throws -> [String: Int] { try await prepared().storedModels() }

    public func close() async {
        await source.close()
        await target.close()
    }
}
