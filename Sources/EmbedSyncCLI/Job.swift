import EmbedSyncCore
import Foundation
import ServiceLifecycle

/// Everything a command needs, resolved from flags, environment and embedsync.yaml.
struct Job: Sendable {
    let settings: Settings
    let store: any EmbeddingStore
    let template: TextTemplate
    let providers: ProviderFactory
    let context: CLIContext

    /// Prepares a job, runs `body` with it, and closes its store however `body` ends: the one way commands hold a
    /// store, so no exit path leaves a connection or a lock behind.
    ///
    /// The store's clients (PostgreSQL's connection pool) and `services` (the server's, say) run as services of one
    /// `ServiceGroup` for as long as `body` runs, and are shut down gracefully after it.
    static func with<T: Sendable>(
        _ common: CommonOptions, extraFlags: [SettingKey: String] = [:], readOnly: Bool, context: CLIContext,
        services: [any Service] = [], _ body: (Job) async throws -> T
    ) async throws -> T {
        let (settings, providers, opened) = try await prepare(
            common, extraFlags: extraFlags, readOnly: readOnly, context: context)
        return try await opened.use(services: services) { _ in
            try await body(try await Job(settings: settings, opened: opened, providers: providers, context: context))
        }
    }

    /// Settings, providers and the opened store: what every command checks before it does anything.
    static func prepare(
        _ common: CommonOptions, extraFlags: [SettingKey: String], readOnly: Bool, context: CLIContext
    ) async throws -> (Settings, ProviderFactory, OpenedStore) {
        var flags = common.flags
        for (key, value) in extraFlags { flags[key] = value }
        let settings = try Settings(flags: flags, configPath: common.config, context: context)
        let providers = ProviderFactory(settings: settings, context: context)
        try providers.checkProvider()
        _ = try RunSettings(settings)
        return (settings, providers, try await StoreFactory.open(settings, readOnly: readOnly, context: context))
    }

    init(settings: Settings, opened: OpenedStore, providers: ProviderFactory, context: CLIContext) async throws {
        self.settings = settings
        self.store = opened.store
        self.template = try await Self.resolveTemplate(settings, store: opened.store, context: context)
        self.providers = providers
        self.context = context
    }

    static func resolveTemplate(
        _ settings: Settings, store: any EmbeddingStore, context: CLIContext
    ) async throws -> TextTemplate {
        if let text = settings.string(.template) {
            if settings.string(.templateFile) != nil {
                throw EmbedSyncError(.usage, "Both --template and --template-file are set. Keep one.")
            }
            return try TextTemplate(text)
        }
        if let file = settings.string(.templateFile) {
            let path =
                (file as NSString).isAbsolutePath
                ? file : (context.workingDirectory as NSString).appendingPathComponent(file)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw EmbedSyncError(.usage, "Cannot read the template file '\(path)'.")
            }
            return try TextTemplate(text.trimmingCharacters(in: .newlines))
        }
        let schema = try await store.sourceSchema()
        let text = TextTemplate.defaultTemplate(for: schema)
        guard !text.isEmpty else {
            throw EmbedSyncError(
                .usage,
                """
                The source has no text columns to embed by default. Pass --template 'Title: {{title}}' naming the \
                columns to embed.
                """
            )
        }
        return try TextTemplate(text)
    }

    /// The run configuration for a selection.
    func runConfiguration(
        selection: SelectionOptions, maxCost: Double?, exclusive: Bool, pricing: Pricing?
    ) throws -> RunConfiguration {
        var run = try RunSettings(settings)
        // A --concurrency the user chose caps a rate-paced run too; without one, a paced run's width follows
        // rate × latency up to 64 (the local model's stays at its default: its batches share this machine's cores).
        let provider = try providers.provider()
        var maxConcurrency: Int? = settings.string(.concurrency) == nil ? nil : run.concurrency
        if provider == .local, maxConcurrency == nil { maxConcurrency = provider.entry.defaultConcurrency }
        if settings.string(.concurrency) == nil {
            // The local model uses both cores for one batch; a second batch in flight keeps them busy across batch
            // boundaries and commits (measured: 464 vs 426 texts/s on 10k short rows).
            run.concurrency = try providers.provider().entry.defaultConcurrency
        }
        var choice = Selection(force: selection.force, retryFailed: selection.retryFailed)
        if let ids = selection.ids { choice.ids = try IDSelection(parsing: ids) }
        var configuration = RunConfiguration(
            template: template, selection: choice, batchSize: run.batchSize, concurrency: run.concurrency,
            retry: RetryPolicy(maxRetries: run.maxRetries), requestsPerMinute: run.requestsPerMinute,
            tokensPerMinute: run.tokensPerMinute, maxCostUSD: maxCost ?? run.maxCost, pricing: pricing,
            exclusive: exclusive,
            longInputs: run.longInputs, maxConcurrency: maxConcurrency, lockWaitSeconds: run.wait)
        configuration.fullCheckEverySeconds = run.fullCheckEvery
        configuration.chunking = try chunking()
        return configuration
    }
}

/// The `run.*` settings, validated.
struct RunSettings {
    var batchSize: Int?
    var concurrency: Int
    var maxRetries: Int
    var requestsPerMinute: Int?
    var tokensPerMinute: Int?
    var maxCost: Double?
    var longInputs = LongInputPolicy.truncate
    /// How long a run waits for another run that holds the table (SQLite), in seconds; `nil` (a bare `--wait`, or
    /// `forever`) as long as it takes.
    var wait: Double? = RunSettings.defaultWait
    static let defaultWait = 600.0
    /// What a bare `--wait` stands for.
    static let forever = "forever"
    /// With change capture: seconds between full checks (default a day).
    var fullCheckEvery = 86_400.0

    init(_ settings: Settings) throws {
        batchSize = try settings.positiveInt(.batchSize)
        if let batchSize, batchSize > 2048 {
            throw EmbedSyncError(
                .usage,
                "\(settings.origin(.batchSize)) \(batchSize) is over the provider limit of 2048 inputs per request.")
        }
        concurrency = try settings.positiveInt(.concurrency) ?? 4
        if concurrency > 64 { throw EmbedSyncError(.usage, "\(settings.origin(.concurrency)) must be at most 64.") }
        maxRetries = try settings.positiveInt(.maxRetries, allowZero: true) ?? 5
        requestsPerMinute = try settings.positiveInt(.requestsPerMinute)
        tokensPerMinute = try settings.positiveInt(.tokensPerMinute)
        maxCost = try settings.number(.maxCost)
        wait =
            settings.string(.wait) == RunSettings.forever ? nil : try settings.number(.wait) ?? RunSettings.defaultWait
        fullCheckEvery = try settings.number(.fullCheckEvery) ?? fullCheckEvery
        if let value = settings.string(.longInputs) {
            guard let policy = LongInputPolicy(rawValue: value.lowercased()) else {
                throw EmbedSyncError(
                    .usage,
                    """
                    \(settings.origin(.longInputs)) must be one of: \
                    \(LongInputPolicy.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(value)').
                    """
                )
            }
            longInputs = policy
        }
        _ = try settings.positiveInt(.dimensions)
    }
}
