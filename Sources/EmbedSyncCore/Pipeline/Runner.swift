import Foundation
import Logging

/// Runs the embedding job: reads rows, embeds the missing and stale ones in token-aware batches with bounded
/// concurrency, validates every vector and commits each batch with its bookkeeping in one transaction.
///
/// ```swift
/// let runner = Runner(store: store, embedder: embedder, configuration: configuration)
/// let summary = try await runner.run()
/// ```
public struct Runner: Sendable {
    public let store: any EmbeddingStore
    public let embedder: any Embedder
    public let configuration: RunConfiguration
    public let clock: any PipelineClock
    public let observer: any RunObserver
    public let stopSignal: StopSignal
    public let logger: Logger
    let jitter: @Sendable () -> Double

    public init(
        store: any EmbeddingStore, embedder: any Embedder, configuration: RunConfiguration,
        clock: any PipelineClock = SystemClock(), observer: any RunObserver = SilentObserver(),
        stopSignal: StopSignal = StopSignal(), logger: Logger = Logger(label: "embedsync.run"),
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.store = store
        self.embedder = embedder
        self.configuration = configuration
        self.clock = clock
        self.observer = observer
        self.stopSignal = stopSignal
        self.logger = logger
        self.jitter = jitter
    }

    var model: ModelIdentity { embedder.identity }

    /// How often a run looks again at rows other workers held, once its own work is done (the first look is at once:
    /// most were stored while this run worked).
    static let heldRowsPollSeconds = 0.25

    /// The effective batch size: the configured one, capped by the provider's input limit.
    var batchSize: Int { configuration.batchSize(for: embedder.limits) }

    /// Runs once.
    /// - Returns: what was done; `outcome` says whether the run completed, stopped or found the table busy.
    /// - Throws: ``EmbedSyncError`` for bad configuration (before any write), fatal provider errors and database
    /// errors.
    public func run() async throws -> RunSummary {
        let started = clock.now()
        let fields = try await store.checkTemplateFields(configuration.template)
        try configuration.selection.ids?.check(against: try await store.sourceSchema())
        try await store.validateTarget(model: model)
        try await validateChunking()
        return try await store.withRunGuard(configuration: configuration, model: model) {
            try await runGuarded(fields: fields, started: started)
        }
    }

    private func runGuarded(fields: [String], started: Double) async throws -> RunSummary {
        let classifier = RowClassifier(
            template: configuration.template, model: model, selection: configuration.selection,
            chunking: configuration.chunking)
        let plan = try await capturePlan(classifier: classifier)
        let skippingFresh = try await FreshnessKey.forScan(of: store, classifier: classifier)
        let stream = RowReader(
            stream: RowStream(
                store: store, fields: fields, pageSize: configuration.pageSize, ids: configuration.selection.ids,
                skippingFresh: skippingFresh),
            plan: plan)
        var summary = RunSummary(outcome: .completed, model: model)
        if case .changes = plan { summary.capture = .changes } else if plan != nil { summary.capture = .fullCheck }

        var (plannedSelected, deleted, workStart) = try await planningPass(
            stream, classifier: classifier, skippingFresh: skippingFresh, summary: &summary)

        var record = RunRecord(id: UUID().uuidString.lowercased(), startedAt: unixTime(), model: model)
        let tally = RunTally()
        let pacer = Pacer(
            requestsPerMinute: configuration.requestsPerMinute, tokensPerMinute: configuration.tokensPerMinute,
            clock: clock)
        let limits = embedder.limits
        let counter = embedder.tokenCounter
        let batchSize = self.batchSize
        let pricing = configuration.pricing ?? .free
        let concurrency = max(1, configuration.concurrency)
        let ceiling = max(1, configuration.maxConcurrency ?? 64)
        let runRecord = record
        let plannedTotal = plannedSelected

        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var pending: [WorkItem] = []
            var packer = BatchPacker(
                batchSize: batchSize, maxTokensPerRequest: configuration.maxTokensPerRequest(for: limits))
            // Selected rows another worker held when this run claimed them (stores that share rows: PostgreSQL,
            // libSQL): looked at again at the end, until that worker stores them or dies.
            var held: [RowID] = []

            func dispatch() async throws -> Bool {
                guard !pending.isEmpty else { return true }
                let items = pending
                let tokens = packer.tokens
                pending = []
                packer.reset()
                if stopSignal.isRaised {
                    summary.outcome = .stoppedBySignal
                    return false
                }
                let estimatedCost = pricing.cost(tokens: tokens)
                guard await tally.reserve(estimatedCost: estimatedCost, limit: configuration.maxCostUSD) else {
                    summary.outcome = .stoppedByMaxCost
                    return false
                }
                // Paced, the width follows rate × latency (Little's law); unpaced, it is the configured concurrency.
                var waited = false
                while inFlight > 0 {
                    let width = await pacer.inFlightLimit(
                        unpaced: concurrency, ceiling: ceiling, probing: limits.probesFirst)
                    guard inFlight >= width else { break }
                    try await group.next()
                    inFlight -= 1
                    waited = true
                }
                if waited, stopSignal.isRaised {
                    // A signal arrived while this batch waited for a slot: do not start it.
                    await tally.record(BatchOutcome(), estimatedCost: estimatedCost, committed: false)
                    summary.outcome = .stoppedBySignal
                    return false
                }
                var seen: Set<RowID> = []
                let ids = items.map(\.id).filter { seen.insert($0).inserted }  // a chunked row's pieces share one id
                let claimed = try await store.claim(ids, runID: runRecord.id)
                if claimed.count < ids.count { held += ids.filter { !claimed.contains($0) } }
                let work = claimed.count == ids.count ? items : items.filter { claimed.contains($0.id) }
                let workIDs = claimed.count == ids.count ? ids : ids.filter(claimed.contains)
                guard !work.isEmpty else {
                    await tally.record(BatchOutcome(), estimatedCost: estimatedCost, committed: false)
                    return true
                }
                inFlight += 1
                group.addTask {
                    let outcome: BatchOutcome
                    do {
                        outcome = try await self.embedWithRetries(work, pacer: pacer, pricing: pricing)
                            .combiningChunks(of: work).collectingChunks(of: work)
                    } catch {
                        await store.releaseClaims(workIDs, runID: runRecord.id)
                        throw error
                    }
                    do {
                        var commit = BatchCommit(
                            run: runRecord, model: model, embedded: outcome.embedded, failed: outcome.failed,
                            tokens: outcome.tokens, costUSD: outcome.costUSD, requests: outcome.requests)
                        commit.classifier = classifier
                        try await store.commit(commit)
                    } catch {
                        await tally.record(outcome, estimatedCost: estimatedCost, committed: false)
                        throw error
                    }
                    await tally.record(outcome, estimatedCost: estimatedCost, committed: true)
                    observer.runProgressed(await tally.progress(selected: plannedTotal, elapsed: clock.now() - started))
                }
                return true
            }

            /// Queues one scanned row when it is selected; `again` for a held row read a second time (counted once).
            func consider(_ row: ScannedRow, again: Bool = false) async throws -> Bool {
                let planned = classifier.classify(row)
                guard planned.selected else { return true }
                let (pieces, chunks, truncated) = configuration.workInputs(
                    for: planned.text, counter: counter, limits: limits)
                if !again {
                    summary.selected += 1
                    if truncated { summary.truncated += 1 }
                    if pieces.count > 1, chunks == nil { summary.chunked += 1 }
                }
                let tokens = pieces.reduce(0) { $0 + $1.tokens }
                // A chunked row's pieces all go in one batch, so they are combined and committed together.
                if packer.mustSend(beforeAdding: pieces.count, tokens: tokens) {
                    guard try await dispatch() else { return false }
                }
                for (number, piece) in pieces.enumerated() {
                    pending.append(
                        WorkItem(
                            id: row.id, text: piece.text, contentHash: planned.contentHash, tokens: piece.tokens,
                            wholeText: pieces.count > 1 && chunks == nil ? planned.text : nil, truncated: truncated,
                            sourceValues: row.values, chunk: chunks.map { ($0[number], planned.text) }))
                }
                if packer.add(pieces: pieces.count, tokens: tokens) {
                    guard try await dispatch() else { return false }
                }
                return true
            }

            if plannedSelected > 0 {
                deleted = try await stream.forEachPage(wrappingAfter: workStart) { page in
                    for row in page {
                        guard try await consider(row) else { return false }
                    }
                    return summary.outcome == .completed
                }
            }
            if summary.outcome == .completed {
                _ = try await dispatch()
            }
            // Rows other workers held: each is stored by its holder (then it is fresh here), or its holder dies and
            // its claim is free (then this run embeds it). Never reported as done while still held.
            let deadline = configuration.lockWaitSeconds.map { clock.now() + $0 }
            if !held.isEmpty, summary.outcome == .completed {
                observer.runNotice("\(held.count) selected rows are held by other workers; waiting for them")
            }
            var firstLook = true
            while !held.isEmpty, summary.outcome == .completed, deadline.map({ clock.now() < $0 }) ?? true {
                if !firstLook { try await clock.sleep(seconds: Self.heldRowsPollSeconds) }
                firstLook = false
                if stopSignal.isRaised {
                    summary.outcome = .stoppedBySignal
                    break
                }
                let ids = held
                held = []
                for start in stride(from: 0, to: ids.count, by: 1000) {
                    let chunk = Array(ids[start..<min(start + 1000, ids.count)])
                    for row in try await store.rows(ids: chunk, fields: fields) {
                        guard try await consider(row, again: true) else { break }
                    }
                }
                if summary.outcome == .completed { _ = try await dispatch() }
            }
            if !held.isEmpty, summary.outcome == .completed {
                summary.outcome = .heldByOthers
                summary.heldByOthers = held.count
            }
            try await group.waitForAll()
        }

        record.embedded = await tally.embedded
        record.failed = await tally.failed
        record.tokens = await tally.tokens
        record.costUSD = await tally.costUSD
        record.requests = await tally.requests
        record.selected = summary.selected
        record.skipped = summary.skippedEmpty + summary.skippedFailed
        if summary.outcome == .completed {
            summary.pruned = try await finishCapture(
                plan, deleted: deleted, failedIDs: await tally.failedIDs, run: record)
            record.pruned = summary.pruned
        }
        let commits = await tally.commits
        if commits > 0 || summary.pruned > 0 {
            record.finishedAt = unixTime()
            record.status = summary.outcome.rawValue
            try await store.finishRun(record)
        }
        summary.embedded = record.embedded
        summary.failed = record.failed
        summary.failedIDs = await tally.failedIDs
        summary.skipped = record.skipped
        summary.tokens = record.tokens
        summary.costUSD = record.costUSD
        summary.requests = record.requests
        summary.truncated += await tally.shortened
        summary.chunksEmbedded = await tally.chunks
        summary.durationSeconds = clock.now() - started
        if let message = outcomeMessage(summary) { summary.message = message }
        return summary
    }
}
