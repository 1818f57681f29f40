/// Where rows come from and where their vectors and bookkeeping go: SQLite, PostgreSQL, or memory in tests.
///
/// The pipeline reads rows in id order through ``scan(after:limit:fields:)`` and hands every finished batch to
/// ``commit(_:)``, which stores vectors, failures and run counters in one transaction. A store creates its
/// tables lazily in the first commit, so a run that fails before that leaves the database as it was.
public protocol EmbeddingStore: Sendable {
    /// The source's id column and columns; validates that the source table or query exists.
    func sourceSchema() async throws -> SourceSchema

    /// Checks the configured target against the schema (names, dimensions) without writing.
    func validateTarget(model: ModelIdentity) async throws

    /// The next rows after `after` (exclusive) in id order, with their stored state; at most `limit`.
    /// - Parameter fields: the template fields to read.
    func scan(after: RowID?, limit: Int, fields: [String]) async throws -> [ScannedRow]

    /// The rows with these ids, with their stored state (for `--ids`).
    func rows(ids: [RowID], fields: [String]) async throws -> [ScannedRow]

    /// Stores one batch: vectors, failures, cleared failures and run counters, atomically.
    func commit(_ batch: BatchCommit) async throws

    /// Deletes vectors whose source row is gone. Returns how many.
    func pruneOrphans(run: RunRecord) async throws -> Int

    /// Counts vectors whose source row is gone, without deleting them.
    func countOrphans() async throws -> Int

    /// Records the end of a run that committed at least once.
    func finishRun(_ run: RunRecord) async throws

    /// The most recent run, if any run was recorded.
    func lastRun() async throws -> RunRecord?

    /// Rows that failed, newest first.
    func failures(limit: Int) async throws -> [FailureRecord]

    /// Takes the per-table run guard: `true` when taken, `false` when another live run holds it.
    /// - Parameter wait: wait for the holder to finish instead of returning `false`.
    func acquireRunGuard(wait: Bool) async throws -> Bool

    /// Like ``acquireRunGuard(wait:)``, waiting at most `timeout` seconds (`nil`: as long as it takes) before it
    /// returns `false`.
    func acquireRunGuard(wait: Bool, timeout: Double?) async throws -> Bool

    /// Releases the run guard.
    func releaseRunGuard() async

    /// Makes what keeps a run's reads cheap and was not made with the target (SQLite: the freshness index of a
    /// target written by an older version). Called by a run once it holds the run guard, before it reads rows.
    func prepareRun() async throws

    /// Deletes every stored vector and bookkeeping row for this target.
    func reset() async throws

    /// Whether runs on one target exclude each other (the run guard) or share the rows through claims.
    var sharing: StoreSharing { get }

    /// Claims rows for this worker before they are sent to the provider, so that several processes sharing one
    /// table never embed the same row twice. Returns the ids this worker may embed; rows another live worker
    /// holds are left out. Claims expire on their own when a worker dies. An ``StoreSharing/exclusive`` store,
    /// whose run guard already lets one run at a time write, grants every id.
    func claim(_ ids: [RowID], runID: String) async throws -> Set<RowID>

    /// Gives back claims this worker did not use (a stopped run).
    func releaseClaims(_ ids: [RowID], runID: String) async

    /// Closes connections.
    func close() async
}

extension EmbeddingStore {
    /// Most stores make everything with the target.
    public func prepareRun() async throws {}

    /// Stores whose runs never wait for each other (they share rows through claims) ignore the timeout.
    public func acquireRunGuard(wait: Bool, timeout: Double?) async throws -> Bool {
        try await acquireRunGuard(wait: wait)
    }
}

/// How concurrent runs on one target coexist.
public enum StoreSharing: Sendable, Equatable {
    /// One run writes at a time: a plain run waits for the run guard, `--exclusive` gives up. Claims grant every row.
    case exclusive
    /// Runs on several machines share the rows: each batch is claimed first, and a dead worker's claims expire.
    case shared
}

/// One batch's outcome, written in one transaction.
public struct BatchCommit: Sendable {
    public var run: RunRecord
    public var model: ModelIdentity
    public var embedded: [EmbeddedRow]
    public var failed: [FailedRow]
    /// Tokens billed for this batch (added to the run's total).
    public var tokens: Int
    /// Cost of this batch in USD (added to the run's total).
    public var costUSD: Double
    /// Requests made for this batch, retries and splits included.
    public var requests: Int
    /// Renders and hashes rows, so a store can re-check at write time that a row was not edited meanwhile.
    public var classifier: RowClassifier?

    public init(
        run: RunRecord, model: ModelIdentity, embedded: [EmbeddedRow], failed: [FailedRow], tokens: Int,
        costUSD: Double, requests: Int
    ) {
        self.run = run
        self.model = model
        self.embedded = embedded
        self.failed = failed
        self.tokens = tokens
        self.costUSD = costUSD
        self.requests = requests
        self.classifier = nil
    }
}

/// A vector ready to store.
public struct EmbeddedRow: Sendable {
    public var id: RowID
    public var vector: [Float]
    public var contentHash: String
    public var text: String
    /// The template fields as the scan read them (`nil` when not known), so a store can check inside its commit, in
    /// SQL, that the row still holds them: the same fields render the same text, so the same content hash.
    public var sourceValues: [String: String?]?
    /// With chunking (``RunConfiguration/chunking``): every chunk of the row, which replace the ones stored in the
    /// same transaction; `nil` without chunking.
    public var chunks: [EmbeddedChunk]?

    public init(
        id: RowID, vector: [Float], contentHash: String, text: String, sourceValues: [String: String?]? = nil,
        chunks: [EmbeddedChunk]? = nil
    ) {
        self.id = id
        self.vector = vector
        self.contentHash = contentHash
        self.text = text
        self.sourceValues = sourceValues
        self.chunks = chunks
    }
}

/// A row the provider would not embed, with why.
public struct FailedRow: Sendable {
    public var id: RowID
    public var contentHash: String
    public var errorClass: String
    public var message: String
    public var attempts: Int

    public init(id: RowID, contentHash: String, errorClass: String, message: String, attempts: Int) {
        self.id = id
        self.contentHash = contentHash
        self.errorClass = errorClass
        self.message = message
        self.attempts = attempts
    }
}

/// A stored failure, as `status --failures` shows it.
public struct FailureRecord: Sendable {
    public var id: RowID
    public var errorClass: String
    public var message: String
    public var attempts: Int
    public var runs: Int
    public var updatedAt: Double

    public init(id: RowID, errorClass: String, message: String, attempts: Int, runs: Int, updatedAt: Double) {
        self.id = id
        self.errorClass = errorClass
        self.message = message
        self.attempts = attempts
        self.runs = runs
        self.updatedAt = updatedAt
    }
}

/// A run's bookkeeping row: counters are totals so far, written with each batch.
public struct RunRecord: Sendable {
    public var id: String
    public var startedAt: Double
    public var finishedAt: Double?
    public var status: String
    public var model: ModelIdentity
    public var selected: Int
    public var embedded: Int
    public var failed: Int
    public var skipped: Int
    public var pruned: Int
    public var tokens: Int
    public var costUSD: Double
    public var requests: Int

    public init(id: String, startedAt: Double, model: ModelIdentity) {
        self.id = id
        self.startedAt = startedAt
        self.finishedAt = nil
        self.status = "running"
        self.model = model
        self.selected = 0
        self.embedded = 0
        self.failed = 0
        self.skipped = 0
        self.pruned = 0
        self.tokens = 0
        self.costUSD = 0
        self.requests = 0
    }
}
