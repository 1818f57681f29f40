/// The dry run: which rows need work, their exact token count and cost, and how long a run would take.
/// It makes no provider call and writes nothing.
public struct Estimator: Sendable {
    public let store: any EmbeddingStore
    public let model: ModelIdentity
    public let tokenCounter: any TokenCounter
    public let limits: ProviderLimits
    public let configuration: RunConfiguration
    /// Texts per second the embedder sustains, when known (the local model's measured speed).
    public let textsPerSecond: Double?

    public init(
        store: any EmbeddingStore, model: ModelIdentity, tokenCounter: any TokenCounter, limits: ProviderLimits,
        configuration: RunConfiguration, textsPerSecond: Double? = nil
    ) {
        self.store = store
        self.model = model
        self.tokenCounter = tokenCounter
        self.limits = limits
        self.configuration = configuration
        self.textsPerSecond = textsPerSecond
    }

    /// Scans the source and prices the rows a run would embed.
    public func estimate() async throws -> Estimate {
        _ = try await store.checkTemplateFields(configuration.template)
        try configuration.chunking?.check(limits: limits, counter: tokenCounter, model: model)
        if configuration.chunking != nil, let chunkStore = store as? any ChunkStore {
            try await chunkStore.validateChunkTarget()
        }
        let classifier = RowClassifier(
            template: configuration.template, model: model, selection: configuration.selection,
            chunking: configuration.chunking)
        let counter = tokenCounter
        let batchSize = configuration.batchSize(for: limits)
        var tokens = 0
        var overLimit = 0
        var requests = 0
        var chunkCount = 0
        var packer = BatchPacker(
            batchSize: batchSize, maxTokensPerRequest: configuration.maxTokensPerRequest(for: limits))
        let counts = try await Survey(store: store, classifier: classifier, pageSize: configuration.pageSize).run {
            row in
            // The same inputs the runner would send: truncated or split by the long-input policy.
            let (pieces, chunks, truncated) = configuration.workInputs(for: row.text, counter: counter, limits: limits)
            if truncated || (pieces.count > 1 && chunks == nil) { overLimit += 1 }
            chunkCount += chunks?.count ?? 0
            let rowTokens = pieces.reduce(0) { $0 + $1.tokens }
            tokens += rowTokens
            if packer.mustSend(beforeAdding: pieces.count, tokens: rowTokens) {
                requests += 1
                packer.reset()
            }
            if packer.add(pieces: pieces.count, tokens: rowTokens) {
                requests += 1
                packer.reset()
            }
        }
        if packer.inputs > 0 { requests += 1 }
        let pricing = configuration.pricing ?? .free
        var estimate = Estimate(counts: counts, model: model)
        estimate.tokens = tokens
        estimate.tokensExact = counter.isExact
        estimate.approximationReason = counter.approximationReason
        estimate.costUSD = pricing.cost(tokens: tokens)
        estimate.batchCostUSD = pricing.batchCost(tokens: tokens)
        estimate.rowsOverTokenLimit = overLimit
        estimate.longInputs = limits.truncatesInternally ? .truncate : configuration.longInputs
        estimate.requests = requests
        if configuration.chunking != nil { estimate.chunks = chunkCount }
        estimate.projectedSeconds = projectedSeconds(rows: counts.selected, tokens: tokens, requests: requests)
        return estimate
    }

    /// From the configured rate limits when they bind, the measured speed when known, else ~1 s per request spread
    /// over the concurrency.
    func projectedSeconds(rows: Int, tokens: Int, requests: Int) -> Double {
        var seconds = 0.0
        if let textsPerSecond, textsPerSecond > 0 {
            seconds = Double(rows) / textsPerSecond
        } else {
            seconds = Double(requests) / Double(max(1, configuration.concurrency))
        }
        if let rpm = configuration.requestsPerMinute, rpm > 0 {
            seconds = max(seconds, Double(requests) / Double(rpm) * 60)
        }
        if let tpm = configuration.tokensPerMinute, tpm > 0 {
            seconds = max(seconds, Double(tokens) / Double(tpm) * 60)
        }
        return seconds
    }
}

/// The result of ``Estimator/estimate()``: SPEC §5's estimate keys.
public struct Estimate: Sendable {
    public var counts: SurveyCounts
    public var model: ModelIdentity
    public var tokens = 0
    public var tokensExact = false
    public var approximationReason: String?
    public var costUSD = 0.0
    public var batchCostUSD: Double?
    public var rowsOverTokenLimit = 0
    /// What the run does with those rows; `tokens` and `requests` count them that way.
    public var longInputs = LongInputPolicy.truncate
    public var requests = 0
    public var projectedSeconds = 0.0
    /// With chunking: the chunks a run would embed (`tokens` counts them all); `nil` without chunking.
    public var chunks: Int?

    public init(counts: SurveyCounts, model: ModelIdentity) {
        self.counts = counts
        self.model = model
    }
}
