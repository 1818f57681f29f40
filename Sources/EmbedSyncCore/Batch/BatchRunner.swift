import Foundation
import Logging

/// Runs the embedding job through a provider's Batch API (`run --batch-api`): at half the price, with no rate limits
/// to fight, and with results that arrive within a day instead of at once.
///
/// Each run first collects the batches that finished (their output and error files, in any order): a vector is
/// stored only while its row still has the content hash that was sent (a row edited meanwhile stays stale and is sent
/// again), refused lines are recorded as failures with their reason, and lines not done (an expired or cancelled
/// batch, a server error) are sent again. Then it submits the selected rows that are not already pending, as JSONL
/// files within the Batch API's limits. With ``waitSeconds`` it polls, with backoff, until nothing is pending.
///
/// ```swift
/// let runner = BatchRunner(store: store, service: service, configuration: configuration)
/// let summary = try await runner.run()
/// ```
public struct BatchRunner: Sendable {
    public let store: any BatchTrackingStore
    public let service: any BatchService
    public let configuration: RunConfiguration
    public let limits: BatchLimits
    /// How long to poll for pending batches: `nil` returns after submitting, `.infinity` waits until none is pending.
    public let waitSeconds: Double?
    public let clock: any PipelineClock
    public let observer: any RunObserver
    public let stopSignal: StopSignal
    let logger: Logger

    public init(
        store: any BatchTrackingStore, service: any BatchService, configuration: RunConfiguration,
        limits: BatchLimits = BatchLimits(), waitSeconds: Double? = nil, clock: any PipelineClock = SystemClock(),
        observer: any RunObserver = SilentObserver(), stopSignal: StopSignal = StopSignal(),
        logger: Logger = Logger(label: "embedsync.batch")
    ) {
        self.store = store
        self.service = service
        self.configuration = configuration
        self.limits = limits
        self.waitSeconds = waitSeconds
        self.clock = clock
        self.observer = observer
        self.stopSignal = stopSignal
        self.logger = logger
    }

    var model: ModelIdentity { service.identity }

    /// The first pause between polls, and the longest.
    static let firstPollSeconds = 0.5
    static let longestPollSeconds = 60.0

    /// Collects, submits, and (with ``waitSeconds``) polls until nothing is pending.
    /// - Throws: ``EmbedSyncError`` for bad configuration (before any write), ``ProviderError`` for fatal provider
    /// errors, and database errors.
    public func run() async throws -> RunSummary {
        let started = clock.now()
        let fields = try await store.checkTemplateFields(configuration.template)
        try configuration.selection.ids?.check(against: try await store.sourceSchema())
        try await store.validateTarget(model: model)
        try await configuration.validateChunking(
            store: store, limits: service.limits, counter: service.tokenCounter, model: model)
        do {
            return try await store.withRunGuard(configuration: configuration, model: model) {
                try await runGuarded(fields: fields, started: started)
            }
        } catch let error as ProviderError {
            // Calls are retried inside the service; what reaches here is final. Recorded work stays recorded.
            throw EmbedSyncError(.provider, "The Batch API: \(error.text)", underlying: error)
        }
    }

    private func runGuarded(fields: [String], started: Double) async throws -> RunSummary {
        var job = BatchJob(
            classifier: RowClassifier(
                template: configuration.template, model: model, selection: configuration.selection,
                chunking: configuration.chunking),
            fields: fields, record: RunRecord(id: UUID().uuidString.lowercased(), startedAt: unixTime(), model: model),
            summary: RunSummary(outcome: .completed, model: model))
        job.summary.batch = BatchReport()
        let deadline = waitSeconds.map { clock.now() + $0 }
        var pause = Self.firstPollSeconds
        while true {
            try await collect(&job)
            if job.summary.outcome == .completed, !stopSignal.isRaised, job.submitting {
                try await submit(&job)
            }
            if stopSignal.isRaised, job.summary.outcome == .completed { job.summary.outcome = .stoppedBySignal }
            let pending = try await store.pendingBatches()
            job.report.pendingBatches = pending.count
            job.report.pendingRows = pending.reduce(0) { $0 + $1.requests }
            guard !pending.isEmpty, job.summary.outcome == .completed, let deadline, clock.now() < deadline else {
                break
            }
            let rows = job.report.pendingRows
            observer.runNotice("\(pending.count) batches pending (\(rows) rows); next look in \(formatSeconds(pause))")
            // In short steps, so a signal stops the wait at once.
            let wake = min(clock.now() + pause, deadline)
            while clock.now() < wake, !stopSignal.isRaised {
                try await clock.sleep(seconds: min(0.25, wake - clock.now()))
            }
            pause = min(pause * 1.5, Self.longestPollSeconds)
        }
        return try await finish(job, started: started)
    }

    private func finish(_ job: BatchJob, started: Double) async throws -> RunSummary {
        var summary = job.summary
        var record = job.record
        record.selected = summary.selected
        record.embedded = summary.embedded
        record.failed = summary.failed
        record.tokens = summary.tokens
        record.costUSD = summary.costUSD
        record.requests = summary.requests
        record.skipped = summary.skippedEmpty + summary.skippedFailed
        if job.committed || job.report.submittedBatches > 0 {
            record.finishedAt = unixTime()
            record.status = summary.outcome.rawValue
            try await store.finishRun(record)
        }
        summary.skipped = record.skipped
        summary.durationSeconds = clock.now() - started
        if summary.outcome == .stoppedByMaxCost {
            summary.message = String(
                format: "Stopped submitting before the batches would pass the cost limit of %.4f USD.",
                configuration.maxCostUSD ?? 0)
        } else if summary.outcome == .stoppedBySignal {
            summary.message = "Stopped by a signal; submitted batches are recorded. Run again to continue."
        } else if let notice = job.notice {
            summary.message = notice
        } else if job.report.pendingBatches > 0 {
            summary.message = """
                \(job.report.pendingBatches) batches (\(job.report.pendingRows) rows) are pending at the provider. \
                Run again later (or with --wait) to collect them.
                """
        }
        return summary
    }

    /// The cost of `tokens` at the Batch API's price: the configured or known batch price, else half the price.
    func batchCost(tokens: Int) -> Double {
        let pricing = configuration.pricing ?? .free
        return pricing.batchCost(tokens: tokens) ?? pricing.cost(tokens: tokens) / 2
    }
}

/// What one `run --batch-api` did with the Batch API, in the run summary (JSON key `batch`).
public struct BatchReport: Sendable, Equatable {
    /// Finished batches whose results were read and applied.
    public var collectedBatches = 0
    /// Vectors that arrived for rows edited since they were sent: not stored, sent again.
    public var staleOnArrival = 0
    /// Rows whose request was not done (expired, cancelled, a server error): sent again.
    public var resent = 0
    /// Batches and rows this run submitted, and the batch ids.
    public var submittedBatches = 0
    public var submittedRows = 0
    public var submittedIDs: [String] = []
    /// Batches still at the provider when the run ended, and their rows.
    public var pendingBatches = 0
    public var pendingRows = 0

    public init() {}
}

/// The state of one batch run, passed through its passes.
struct BatchJob {
    let classifier: RowClassifier
    let fields: [String]
    var record: RunRecord
    var summary: RunSummary
    /// Whether anything was committed (then the run is recorded).
    var committed = false
    /// Rows that failed in this run: not sent again before the next run (as a synchronous run does not retry them).
    var failedRows: Set<RowID> = []
    /// Cleared when a batch failed as a whole for a reason that sending again would repeat.
    var submitting = true
    /// Why submitting stopped, for the summary.
    var notice: String?

    var report: BatchReport {
        get { summary.batch ?? BatchReport() }
        set { summary.batch = newValue }
    }
}
