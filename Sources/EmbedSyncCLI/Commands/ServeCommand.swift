import ArgumentParser
import EmbedSyncCore
import EmbedSyncServer
import Foundation
import Logging
import ServiceLifecycle

/// `embedsync serve`: an OpenAI-compatible embeddings endpoint, a search API and a search page, on one process that
/// can also keep the table fresh (`--watch`). SIGINT/SIGTERM belong to the `ServiceGroup`: it stops accepting,
/// finishes the requests and the batch in flight, and the store is closed before exiting 0.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve POST /v1/embeddings (OpenAI's contract), /v1/search and a search page over HTTP.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Address to listen on (default 127.0.0.1; any other needs --token-env).") var host: String?
    @Option(help: "Port (default 8080; 0 lets the OS choose, and the line printed at start names it).") var port:
        String?
    @Option(help: "Environment variable holding the bearer token clients must send (never the token itself).")
    var tokenEnv: String?
    @Option(help: "An origin allowed to call from a browser, e.g. https://app.example.com (repeatable).")
    var corsOrigin: [String] = []
    @Option(help: "Largest request body in bytes (default 4194304).") var maxBodyBytes: String?
    @Option(help: "Also keep the table fresh: embed new and changed rows every SECONDS.") var watch: String?
    @Option(help: "Another name clients may use for the model, e.g. text-embedding-3-small (repeatable).")
    var modelAlias: [String] = []
    @Option(help: "libSQL: exact (scan here, default), server (vector_distance_cos on the server) or index.")
    var searchMode: String?

    var flags: [SettingKey: String] {
        var flags: [SettingKey: String] = [:]
        let pairs: [(SettingKey, String?)] = [
            (.host, host), (.port, port), (.tokenEnv, tokenEnv), (.maxBodyBytes, maxBodyBytes), (.serveWatch, watch),
            (.searchMode, searchMode),
            (.corsOrigins, corsOrigin.isEmpty ? nil : corsOrigin.joined(separator: ",")),
            (.modelAliases, modelAlias.isEmpty ? nil : modelAlias.joined(separator: ",")),
        ]
        for case let (key, value?) in pairs { flags[key] = value }
        return flags
    }

    func run() async throws {
        let context = CLIContext.current
        var all = common.flags
        for (key, value) in flags { all[key] = value }
        // Only a server that keeps the table fresh opens the store for writing.
        let watching = try Settings(flags: all, configPath: common.config, context: context).string(.serveWatch) != nil
        let logger = Logger(label: "embedsync.serve")
        try await Job.serve(common, extraFlags: flags, readOnly: !watching, context: context, logger: logger) { job in
            let options = try ServeSettings(job.settings)
            let embedder = try job.providers.makeEmbedder(needsKey: true)
            let metrics = ServerMetrics(model: embedder.identity.model)
            let backend = try await Self.backend(
                job, embedder: embedder, aliases: options.modelAliases, metrics: metrics)
            var services: [any Service] = []
            if let interval = options.watch {
                services.append(
                    try Self.keepFresh(
                        job, embedder: embedder, interval: interval, backend: backend, metrics: metrics,
                        context: context))
            }
            return buildApplication(
                configuration: options.server, backend: backend, metrics: metrics, services: services, logger: logger,
                onListening: { host, port in
                    let name = host.contains(":") ? "[\(host)]" : host
                    context.stdout.line("listening on http://\(name):\(port)")
                })
        }
    }

    static func backend(
        _ job: Job, embedder: any Embedder, aliases: [String], metrics: ServerMetrics
    ) async throws -> ServerBackend {
        let store = job.store
        var search: SearchBackend?
        if let searchable = store as? any SearchableStore {
            let schema = try await store.sourceSchema()
            _ = try await store.checkTemplateFields(job.template)
            // SQLite's vectors are held in memory (read again when the file changes); other stores search themselves.
            var index: MemoryVectorIndex?
            let chunked = try job.chunking() != nil
            if !chunked, let snapshots = store as? any VectorSnapshotStore {
                index = MemoryVectorIndex(store: snapshots, model: embedder.identity)
                try await index?.load()
            }
            search = SearchBackend(
                store: searchable, template: job.template, columns: schema.columns.map(\.name), index: index)
            search?.searchesChunks = chunked
        }
        let template = job.template
        let identity = embedder.identity
        let chunking = try job.chunking()
        return ServerBackend(
            model: ServedModel(embedder: embedder, aliases: aliases), search: search,
            coverage: {
                let classifier = RowClassifier(
                    template: template, model: identity, selection: Selection(), chunking: chunking)
                let counts = try await Survey(store: store, classifier: classifier).run()
                metrics.recordCoverage([
                    ("embedded", counts.upToDate), ("missing", counts.missing), ("stale", counts.stale),
                    ("failed", counts.failed),
                ])
                let last = try await store.lastRun()
                return .object([
                    ("rows_total", .int(Int64(counts.rowsTotal))), ("embedded", .int(Int64(counts.upToDate))),
                    ("missing", .int(Int64(counts.missing))), ("stale", .int(Int64(counts.stale))),
                    ("failed", .int(Int64(counts.failed))), ("skipped_empty", .int(Int64(counts.empty))),
                    ("provider", .string(identity.provider)), ("model", .string(identity.model)),
                    ("dimensions", .int(Int64(identity.dimensions))),
                    ("last_run", last.map(StatusCommand.runJSON) ?? .null),
                ])
            },
            storeCheck: { (try? await store.sourceSchema()) != nil })
    }

    /// The `--watch` loop: one `embedsync run` pass per interval, stopped by the group's graceful shutdown.
    static func keepFresh(
        _ job: Job, embedder: any Embedder, interval: Double, backend: ServerBackend, metrics: ServerMetrics,
        context: CLIContext
    ) throws -> KeepFreshService {
        var waiting = try job.runConfiguration(
            selection: try SelectionOptions.parse([]), maxCost: nil, exclusive: false,
            pricing: try job.providers.pricing(model: embedder.identity.model))
        // The server outlasts other runs: each pass waits its turn rather than stopping the server.
        waiting.lockWaitSeconds = nil
        let configuration = waiting
        let store = job.store
        return KeepFreshService(interval: .milliseconds(Int64(interval * 1000))) { stop in
            let runner = Runner(
                store: store, embedder: embedder, configuration: configuration, stopSignal: stop)
            let summary = try await runner.run()
            metrics.recordKeepFresh(embedded: summary.embedded, failed: summary.failed, removed: summary.pruned)
            // The vectors in memory are read again now rather than by the next query; the row gauges are recounted.
            try? await backend.search?.index?.load()
            _ = try? await backend.coverage?()
            if summary.embedded > 0 || summary.failed > 0 || summary.pruned > 0 {
                context.stderr.line(
                    "keep-fresh: \(summary.embedded) embedded, \(summary.failed) failed, \(summary.pruned) removed")
            }
        }
    }
}

/// The `serve.*` settings, validated into the server's configuration.
struct ServeSettings {
    var server = ServerConfiguration()
    var watch: Double?
    var modelAliases: [String] = []

    init(_ settings: Settings) throws {
        if let host = settings.string(.host) { server.host = host }
        if let port = try settings.positiveInt(.port, allowZero: true) { server.port = port }
        if let variable = settings.string(.tokenEnv) {
            guard let token = settings.environment[variable], !token.isEmpty else {
                throw EmbedSyncError(
                    .usage,
                    ErrorMessage(
                        "\(variable) (from \(settings.origin(.tokenEnv))) is not set or empty. Export it with the "
                            + "token clients must send, e.g. export \(variable)=$(openssl rand -hex 24)."))
            }
            server.token = token
        }
        if let origins = settings.string(.corsOrigins) {
            server.corsOrigins = origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if let bad = server.corsOrigins.first(where: { $0 == "*" || !$0.contains("://") }) {
                throw EmbedSyncError(
                    .usage,
                    ErrorMessage(
                        "\(settings.origin(.corsOrigins)) '\(bad)' is not an origin: list each one in full, e.g. "
                            + "https://app.example.com (reflecting every origin is never allowed)."))
            }
        }
        if let bytes = try settings.positiveInt(.maxBodyBytes) { server.maxBodyBytes = bytes }
        if let aliases = settings.string(.modelAliases) {
            modelAliases = aliases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if let seconds = try settings.number(.serveWatch) {
            guard seconds > 0 else { throw EmbedSyncError(.usage, "--watch must be a positive number of seconds.") }
            watch = seconds
        }
        try server.validate()
    }
}
