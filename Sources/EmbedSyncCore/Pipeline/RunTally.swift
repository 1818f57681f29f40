/// The run's counters, shared by the batches in flight.
actor RunTally {
    private(set) var embedded = 0
    private(set) var failed = 0
    private(set) var failedIDs: [RowID] = []
    private(set) var tokens = 0
    private(set) var costUSD = 0.0
    private(set) var requests = 0
    private(set) var commits = 0
    private(set) var done = 0
    /// Rows first sent whole, then shortened because the provider found them too long (counted in `truncated`).
    private(set) var shortened = 0
    /// Chunks committed (``RunConfiguration/chunking``).
    private(set) var chunks = 0
    private var inFlightCost = 0.0
    private let maxFailedIDs = 10_000

    /// Reserves a batch's estimated cost; returns `false` (reserving nothing) when it would pass `limit`.
    func reserve(estimatedCost: Double, limit: Double?) -> Bool {
        if let limit, costUSD + inFlightCost + estimatedCost > limit + 1e-12 {
            return false
        }
        inFlightCost += estimatedCost
        return true
    }

    func record(_ outcome: BatchOutcome, estimatedCost: Double, committed: Bool) {
        inFlightCost = max(0, inFlightCost - estimatedCost)
        guard committed else { return }
        embedded += outcome.embedded.count
        failed += outcome.failed.count
        done += outcome.embedded.count + outcome.failed.count
        for row in outcome.failed where failedIDs.count < maxFailedIDs {
            failedIDs.append(row.id)
        }
        tokens += outcome.tokens
        costUSD += outcome.costUSD
        requests += outcome.requests
        shortened += outcome.shortened.count
        chunks += outcome.embedded.reduce(0) { $0 + ($1.chunks?.count ?? 0) }
        commits += 1
    }

    func progress(selected: Int, elapsed: Double) -> RunProgress {
        RunProgress(
            selected: selected, done: done, embedded: embedded, failed: failed, tokens: tokens, costUSD: costUSD,
            elapsedSeconds: elapsed)
    }
}

/// One batch's result before it is committed.
struct BatchOutcome: Sendable {
    var embedded: [EmbeddedRow] = []
    var failed: [FailedRow] = []
    var tokens = 0
    var costUSD = 0.0
    var requests = 0
    /// Rows whose input was shortened after the provider found it longer than the model's context.
    var shortened: Set<RowID> = []

    mutating func merge(_ other: BatchOutcome) {
        embedded += other.embedded
        failed += other.failed
        shortened.formUnion(other.shortened)
        tokens += other.tokens
        costUSD += other.costUSD
        requests += other.requests
    }
}

/// A row (or one piece of a chunked row) on its way to the embedder: the text as sent (after truncation) and its
/// token count.
struct WorkItem: Sendable {
    var id: RowID
    var text: String
    var contentHash: String
    var tokens: Int
    /// Set when the row's text was split (`LongInputPolicy.chunk`): this item is one of its pieces, and this is the
    /// row's whole text, stored with the combined vector.
    var wholeText: String? = nil
    /// Whether part of the row's text is not sent (cut at the limit, or shortened after the provider refused it).
    var truncated = false
    /// The template fields the text was rendered from, as scanned (handed to the store's commit).
    var sourceValues: [String: String?]? = nil
    /// With chunking: which chunk of the row this item is, and the row's whole text.
    var chunk: (chunk: TextChunk, rowText: String)? = nil
}
