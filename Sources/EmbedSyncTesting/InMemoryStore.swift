import EmbedSyncCore
import Foundation
import Synchronization

/// A complete ``SearchableStore`` held in memory: the reference the store conformance suite holds every store to.
///
/// The source is a table of rows that the test edits with ``setRow(_:_:)`` and ``deleteRow(_:)``. Vectors,
/// failures, runs and claims follow the same rules as the SQL stores; claims lease rows by ``PipelineClock``
/// time, so a test decides when a lease runs out by advancing its ``TestClock``.
///
/// ```swift
/// let store = InMemoryStore(columns: ["title"], rows: [.int(1): ["title": "Hello"]])
/// let summary = try await Runner(store: store, embedder: embedder, configuration: configuration).run()
/// ```
public final class InMemoryStore: SearchableStore, Sendable {
    /// Whether runs share rows through claims (like PostgreSQL) or take turns through the run guard (like SQLite).
    public let sharing: StoreSharing
    /// How long a claim lasts without a commit, in clock seconds.
    public let claimLease: Double
    let schema: SourceSchema
    let clock: any PipelineClock
    /// The table, the target and the claims, shared by every store opened on them (``openAnother()``).
    let shared: Shared
    /// Whether this store object holds the run guard.
    let holdsGuard = Mutex(false)
    private let scans = Mutex(0)

    /// Pages read through ``scan(after:limit:fields:)`` by this store object: how many passes a run made.
    public var scannedPages: Int { scans.withLock { $0 } }

    struct StoredVector {
        var vector: [Float]
        var state: StoredState
        var text: String
        /// The row's chunks (``EmbeddedRow/chunks``), replaced with the row.
        var chunks: [EmbeddedChunk]? = nil
    }

    struct StoredFailure {
        var record: FailureRecord
        var contentHash: String
        var lastRun: String
    }

    /// What several stores on one "database" share: the source, the target, the run guard and the claims.
    final class Shared: Sendable {
        let database = Mutex(Database())
    }

    struct Database {
        var source: [RowID: [String: String?]] = [:]
        var vectors: [RowID: StoredVector] = [:]
        var failures: [RowID: StoredFailure] = [:]
        var runs: [RunRecord] = []
        var guardHeld = false
        var claims: [RowID: (runID: String, expires: Double)] = [:]
    }

    /// - Parameters:
    ///   - columns: the source's text columns; the id column is `id`.
    ///   - rows: the initial source rows.
    ///   - sharing: `.shared` to implement claims, `.exclusive` to serialize runs with the run guard.
    ///   - claimLease: how long a claim lasts without a commit, in `clock` seconds.
    public init(
        columns: [String], rows: [RowID: [String: String?]] = [:], sharing: StoreSharing = .exclusive,
        claimLease: Double = 120,
        clock: any PipelineClock = SystemClock()
    ) {
        self.schema = SourceSchema(
            idColumn: "id",
            columns: [SourceColumn(name: "id", declaredType: "INTEGER", isTextLike: false)]
                + columns.map { SourceColumn(name: $0, declaredType: "TEXT", isTextLike: true) })
        self.sharing = sharing
        self.claimLease = claimLease
        self.clock = clock
        self.shared = Shared()
        shared.database.withLock { $0.source = rows }
    }

    private init(sharing other: InMemoryStore) {
        schema = other.schema
        sharing = other.sharing
        claimLease = other.claimLease
        clock = other.clock
        shared = other.shared
    }

    /// Another store on the same table and target, as a second worker process would open it.
    public func openAnother() -> InMemoryStore {
        InMemoryStore(sharing: self)
    }

    /// Inserts or replaces a source row.
    public func setRow(_ id: RowID, _ values: [String: String?]) {
        shared.database.withLock { $0.source[id] = values }
    }

    /// Deletes a source row (its vector stays until pruned).
    public func deleteRow(_ id: RowID) {
        shared.database.withLock { _ = $0.source.removeValue(forKey: id) }
    }

    /// The stored vector of a row, if any.
    public func storedVector(_ id: RowID) -> [Float]? {
        shared.database.withLock { $0.vectors[id]?.vector }
    }

    public func sourceSchema() async throws -> SourceSchema { schema }

    public func validateTarget(model: ModelIdentity) async throws {}

    public func scan(after: RowID?, limit: Int, fields: [String]) async throws -> [ScannedRow] {
        scans.withLock { $0 += 1 }
        return shared.database.withLock { state in
            let ids = state.source.keys.filter { id in after.map { id > $0 } ?? true }.sorted().prefix(limit)
            return ids.map { scanned($0, state: state, fields: fields) }
        }
    }

    public func rows(ids: [RowID], fields: [String]) async throws -> [ScannedRow] {
        shared.database.withLock { state in
            Set(ids).filter { state.source[$0] != nil }.sorted().map { scanned($0, state: state, fields: fields) }
        }
    }

    private func scanned(_ id: RowID, state: Database, fields: [String]) -> ScannedRow {
        let values = state.source[id] ?? [:]
        var row = ScannedRow(id: id, values: Dictionary(uniqueKeysWithValues: fields.map { ($0, values[$0] ?? nil) }))
        row.stored = state.vectors[id]?.state
        if let failure = state.failures[id] {
            row.failure = FailureState(runs: failure.record.runs, contentHash: failure.contentHash)
        }
        return row
    }

    public func commit(_ batch: BatchCommit) async throws {
        if let wrong = batch.embedded.first(where: { $0.vector.count != batch.model.dimensions }) {
            throw EmbedSyncError(
                .database,
                """
                Refusing to store a \(wrong.vector.count)-dimension vector for row \(wrong.id) in a \
                \(batch.model.dimensions)-dimension target.
                """
            )
        }
        let now = clock.now()
        let kept: [EmbeddedRow] = shared.database.withLock { state in
            let kept = batch.embedded.filter { row in
                guard let classifier = batch.classifier else { return true }
                guard let values = state.source[row.id] else { return false }
                return classifier.contentHash(text: classifier.template.render(values)) == row.contentHash
            }
            for row in kept {
                state.vectors[row.id] = StoredVector(
                    vector: row.vector,
                    state: StoredState(contentHash: row.contentHash, modelKey: batch.model.storageKey), text: row.text,
                    chunks: row.chunks)
                state.failures[row.id] = nil
            }
            for row in batch.failed {
                let previous = state.failures[row.id]
                let runs = FailureCounting.runs(
                    previous: previous.map { (runs: $0.record.runs, contentHash: $0.contentHash, lastRun: $0.lastRun) },
                    contentHash: row.contentHash, runID: batch.run.id)
                let record = FailureRecord(
                    id: row.id, errorClass: row.errorClass, message: String(row.message.prefix(2000)),
                    attempts: (previous?.record.attempts ?? 0) + row.attempts, runs: runs, updatedAt: now)
                state.failures[row.id] = StoredFailure(
                    record: record, contentHash: row.contentHash, lastRun: batch.run.id)
            }
            var run = state.runs.first { $0.id == batch.run.id } ?? batch.run
            run.embedded += kept.count
            run.failed += batch.failed.count
            run.tokens += batch.tokens
            run.costUSD += batch.costUSD
            run.requests += batch.requests
            state.runs.removeAll { $0.id == run.id }
            state.runs.append(run)
            return kept
        }
        if sharing == .shared {
            let ids = Set(kept.map(\.id)).union(batch.failed.map(\.id))
            shared.database.withLock { database in
                for (id, claim) in database.claims where claim.runID == batch.run.id {
                    if ids.contains(id) {
                        database.claims[id] = nil
                    } else {
                        database.claims[id] = (claim.runID, now + claimLease)
                    }
                }
            }
        }
    }

    public func pruneOrphans(run: RunRecord) async throws -> Int {
        shared.database.withLock { state in
            let orphans = state.vectors.keys.filter { state.source[$0] == nil }
            for id in orphans { state.vectors[id] = nil }
            for id in state.failures.keys where state.source[id] == nil { state.failures[id] = nil }
            return orphans.count
        }
    }

    public func countOrphans() async throws -> Int {
        shared.database.withLock { state in state.vectors.keys.filter { state.source[$0] == nil }.count }
    }

    public func finishRun(_ run: RunRecord) async throws {
        shared.database.withLock { state in
            state.runs.removeAll { $0.id == run.id }
            state.runs.append(run)
        }
    }

    public func lastRun() async throws -> RunRecord? {
        shared.database.withLock { $0.runs.max { $0.startedAt < $1.startedAt } }
    }

    public func failures(limit: Int) async throws -> [FailureRecord] {
        shared.database.withLock { state in
            Array(
                state.failures.values.map(\.record).sorted { ($0.updatedAt, $1.id) > ($1.updatedAt, $0.id) }.prefix(
                    limit))
        }
    }

    public func acquireRunGuard(wait: Bool) async throws -> Bool {
        while true {
            let taken = shared.database.withLock { database in
                if database.guardHeld { return false }
                database.guardHeld = true
                return true
            }
            if taken {
                holdsGuard.withLock { $0 = true }
                return true
            }
            if !wait { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    public func releaseRunGuard() async {
        let held = holdsGuard.withLock { held in
            defer { held = false }
            return held
        }
        if held { shared.database.withLock { $0.guardHeld = false } }
    }

    public func reset() async throws {
        shared.database.withLock { state in
            state.vectors = [:]
            state.failures = [:]
            state.runs = []
        }
    }

    public func claim(_ ids: [RowID], runID: String) async throws -> Set<RowID> {
        guard sharing == .shared else { return Set(ids) }
        let now = clock.now()
        return shared.database.withLock { database in
            var granted: Set<RowID> = []
            for id in ids {
                if let claim = database.claims[id], claim.runID != runID, claim.expires > now { continue }
                database.claims[id] = (runID, now + claimLease)
                granted.insert(id)
            }
            return granted
        }
    }

    public func releaseClaims(_ ids: [RowID], runID: String) async {
        guard sharing == .shared else { return }
        shared.database.withLock { database in
            for id in ids where database.claims[id]?.runID == runID { database.claims[id] = nil }
        }
    }

    public func close() async {
        await releaseRunGuard()
    }
}
