/// How a run behaves; the CLI fills it from flags, environment and embedsync.yaml.
public struct RunConfiguration: Sendable {
    public var template: TextTemplate
    public var selection: Selection
    /// Inputs per request; `nil` uses the embedder's default. Always capped by the provider's limits.
    public var batchSize: Int?
    /// Requests in flight at once while no rate limit paces the run. A paced run (``requestsPerMinute``,
    /// ``tokensPerMinute`` or limits the provider reports) keeps rate × measured latency in flight instead, up to
    /// ``maxConcurrency``.
    public var concurrency: Int
    /// The most requests in flight in a paced run; `nil` allows up to 64. The CLI sets it to `--concurrency` when
    /// the user gives one.
    public var maxConcurrency: Int?
    public var retry: RetryPolicy
    /// Requests started per minute, at most, evenly spaced.
    public var requestsPerMinute: Int?
    /// Tokens sent per minute, at most, evenly spaced (the pipeline's own counts, corrected by the provider's
    /// `usage`).
    public var tokensPerMinute: Int?
    /// Stop before a batch would take the run's cost past this many USD.
    public var maxCostUSD: Double?
    /// Prices used for cost; `nil` means free.
    public var pricing: Pricing?
    /// Refuse to start while another run holds the table, instead of waiting for it.
    public var exclusive: Bool
    /// Rows read from the source per query.
    public var pageSize: Int
    /// What to do with texts over the provider's per-input token limit.
    public var longInputs: LongInputPolicy
    /// How long a run that is not exclusive waits for another run: for the table (stores whose runs take turns:
    /// SQLite; past it the run gives up with ``EmbedSyncError/Code/stopped``), or, once its own work is done, for
    /// selected rows other workers hold (stores that share rows; past it the outcome is ``RunOutcome/heldByOthers``).
    /// `nil` waits as long as it takes.
    public var lockWaitSeconds: Double?
    /// With change capture enabled: a run reads every row when the last full check is older than this (what triggers
    /// cannot see, such as rows changed while capture was off, is caught then). Default: a day.
    public var fullCheckEverySeconds: Double = 86_400
    /// With change capture enabled: read every row in this run (`--full-check`).
    public var fullCheck = false
    /// With change capture enabled: more changed rows than this are checked by reading every row, which is cheaper
    /// per row than looking each one up.
    public var maxCapturedChanges = 100_000
    /// Several vectors per row (`--chunk-tokens`): every row's text is split into chunks, each embedded and stored
    /// in the target's chunk table (a ``ChunkStore``); `nil` stores one vector per row.
    public var chunking: ChunkSettings?

    public init(
        template: TextTemplate, selection: Selection = Selection(), batchSize: Int? = nil, concurrency: Int = 4,
        retry: RetryPolicy = RetryPolicy(), requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil,
        maxCostUSD: Double? = nil, pricing: Pricing? = nil, exclusive: Bool = false, pageSize: Int = 1000,
        longInputs: LongInputPolicy = .truncate, maxConcurrency: Int? = nil, lockWaitSeconds: Double? = nil
    ) {
        self.maxConcurrency = maxConcurrency
        self.template = template
        self.selection = selection
        self.batchSize = batchSize
        self.concurrency = concurrency
        self.retry = retry
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.maxCostUSD = maxCostUSD
        self.pricing = pricing
        self.exclusive = exclusive
        self.pageSize = pageSize
        self.longInputs = longInputs
        self.lockWaitSeconds = lockWaitSeconds
    }
}

extension RunConfiguration {
    /// The batch size used with a provider: the configured one (or the provider's default), capped by its input limit.
    public func batchSize(for limits: ProviderLimits) -> Int {
        max(1, min(batchSize ?? limits.defaultBatchSize, limits.maxInputs))
    }

    /// The most tokens packed into one request: the provider's limit, and with ``tokensPerMinute`` at most a quarter
    /// second's worth of it (or one request's share when ``requestsPerMinute`` allows fewer, larger requests), so
    /// no single request is a burst that takes a sub-minute window over the limit.
    public func maxTokensPerRequest(for limits: ProviderLimits) -> Int {
        guard let tokensPerMinute, tokensPerMinute > 0 else { return limits.maxTokensPerRequest }
        var share = Double(tokensPerMinute) / 240
        if let requestsPerMinute, requestsPerMinute > 0 {
            share = max(share, (Double(tokensPerMinute) / Double(requestsPerMinute)).rounded(.up))
        }
        return max(1, min(limits.maxTokensPerRequest, Int(share)))
    }

    /// The texts a row sends: itself, or truncated, or split into pieces, by `longInputs`, with their token counts.
    /// `truncated` is true when part of the text is not sent.
    func inputs(
        for text: String, counter: any TokenCounter, limits: ProviderLimits
    )
        -> (pieces: [(text: String, tokens: Int)], truncated: Bool)
    {
        let tokens = counter.count(text)
        guard tokens > limits.maxTokensPerInput else { return ([(text, tokens)], false) }
        if longInputs == .chunk, !limits.truncatesInternally {
            // Every piece of a row goes in one request, within its input and token limits.
            let maxPieces = max(1, min(limits.maxInputs, limits.maxTokensPerRequest / max(1, limits.maxTokensPerInput)))
            let split = TextChunker.split(
                text, counter: counter, maxTokens: limits.maxTokensPerInput, maxPieces: maxPieces)
            if !split.pieces.isEmpty { return (split.pieces, !split.complete) }
        }
        return ([counter.truncate(text, maxTokens: limits.maxTokensPerInput)], true)
    }
}

/// Why a run ended.
public enum RunOutcome: String, Sendable {
    /// Every selected row was handled (some may have failed).
    case completed
    /// `--max-cost` would have been passed; resumable.
    case stoppedByMaxCost = "stopped_max_cost"
    /// SIGINT/SIGTERM; resumable.
    case stoppedBySignal = "stopped_signal"
    /// `--exclusive` and another run holds the table; nothing was done.
    case busy
    /// Every row this run could take was handled, but other workers still hold some selected rows after
    /// ``RunConfiguration/lockWaitSeconds``; resumable.
    case heldByOthers = "held_by_others"
}

/// How a run with change capture enabled read the source.
public enum CaptureMode: String, Sendable {
    /// Only the rows the triggers recorded as changed.
    case changes
    /// Every row (a full check).
    case fullCheck = "full_check"
}

/// What a run did: SPEC §5's run keys.
public struct RunSummary: Sendable {
    public var outcome: RunOutcome
    public var selected: Int = 0
    public var embedded: Int = 0
    public var failed: Int = 0
    public var skipped: Int = 0
    public var skippedEmpty: Int = 0
    public var skippedFailed: Int = 0
    public var truncated: Int = 0
    /// Rows whose text was split into pieces (`LongInputPolicy.chunk`).
    public var chunked: Int = 0
    /// Chunks embedded and stored (``RunConfiguration/chunking``; 0 without it).
    public var chunksEmbedded: Int = 0
    public var pruned: Int = 0
    /// With change capture enabled: how the run read rows (``CaptureMode``); `nil` without change capture.
    public var capture: CaptureMode?
    /// Selected rows other workers still held when the run ended (``RunOutcome/heldByOthers``).
    public var heldByOthers: Int = 0
    /// With `--batch-api`: what the run did with the Batch API.
    public var batch: BatchReport?
    public var failedIDs: [RowID] = []
    public var tokens: Int = 0
    public var costUSD: Double = 0
    public var requests: Int = 0
    public var durationSeconds: Double = 0
    public var model: ModelIdentity
    public var message: String?

    public init(outcome: RunOutcome, model: ModelIdentity) {
        self.outcome = outcome
        self.model = model
    }
}

/// Progress as the run goes, for the CLI's bar or log lines.
public struct RunProgress: Sendable {
    public var selected: Int
    public var done: Int
    public var embedded: Int
    public var failed: Int
    public var tokens: Int
    public var costUSD: Double
    public var elapsedSeconds: Double
}

/// Receives progress and notices while a run goes.
public protocol RunObserver: Sendable {
    func runProgressed(_ progress: RunProgress)
    func runNotice(_ message: String)
}

/// An observer that ignores everything.
public struct SilentObserver: RunObserver {
    public init() {}
    public func runProgressed(_ progress: RunProgress) {}
    public func runNotice(_ message: String) {}
}
