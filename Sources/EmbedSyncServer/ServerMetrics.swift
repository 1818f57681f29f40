import EmbedSyncCore
import Hummingbird
import Prometheus

/// The server's Prometheus metrics, in a registry of its own (injected, so tests and several servers in one process
/// never share a global `MetricsSystem`).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let inflight: Gauge
    let queueDepth: Gauge
    let embeddedInputs: Counter
    let embeddedTokens: Counter
    let batchSize: ValueHistogram
    let searchDuration: DurationHistogram
    let abandoned: Counter

    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), model: String) {
        self.registry = registry
        inflight = registry.makeGauge(
            descriptor: Self.name("http_inflight_requests", unit: "", help: "Requests being answered now."))
        queueDepth = registry.makeGauge(
            descriptor: Self.name("embed_queue_depth", unit: "", help: "Texts waiting for a model batch."))
        embeddedInputs = registry.makeCounter(
            descriptor: Self.name("embed_inputs", unit: "total", help: "Texts embedded for /v1/embeddings."))
        embeddedTokens = registry.makeCounter(
            descriptor: Self.name("embed_tokens", unit: "total", help: "Tokens embedded (after truncation)."))
        batchSize = registry.makeValueHistogram(
            descriptor: Self.name("embed_batch_size", unit: "", help: "Inputs per model call."),
            buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048])
        searchDuration = registry.makeDurationHistogram(
            descriptor: Self.name("search_duration", unit: "seconds", help: "Time to answer /v1/search."),
            buckets: Self.durationBuckets)
        abandoned = registry.makeCounter(
            descriptor: Self.name(
                "http_abandoned_requests", unit: "total", help: "Requests whose client hung up before the answer."))
        registry.makeGauge(
            descriptor: Self.name("build_info", unit: "", help: "Always 1; labels name the version and model."),
            labels: [("version", EmbedSyncVersion.current), ("model", model)]
        ).set(to: 1)
    }

    static func name(_ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "embedsync", metricName: metric, unitName: unit, helpText: help)
    }

    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        registry.makeCounter(
            descriptor: Self.name("http_requests", unit: "total", help: "Requests by route template, method, status."),
            labels: labels
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.name("http_request_duration", unit: "seconds", help: "Time to answer a request."),
            labels: [("route", route), ("method", method)], buckets: Self.durationBuckets
        ).record(duration)
    }

    /// Counts one keep-fresh pass (`--watch`): rows embedded, failed and vectors removed.
    public func recordKeepFresh(embedded: Int, failed: Int, removed: Int) {
        for (name, value, help) in [
            ("rows_embedded", embedded, "Rows embedded by the keep-fresh loop."),
            ("rows_failed", failed, "Rows the keep-fresh loop could not embed."),
            ("rows_removed", removed, "Vectors of deleted rows removed by the keep-fresh loop."),
        ] {
            registry.makeCounter(descriptor: Self.name(name, unit: "total", help: help)).increment(by: Int64(value))
        }
    }

    /// The table's coverage as last counted (by `/v1/status`, the page, or after a keep-fresh pass).
    public func recordCoverage(_ counts: [(state: String, rows: Int)]) {
        for (state, rows) in counts {
            registry.makeGauge(
                descriptor: Self.name("rows", unit: "", help: "Rows of the table by state, as last counted."),
                labels: [("state", state)]
            ).set(to: Double(rows))
        }
    }

    /// The Prometheus text exposition.
    public func render() -> String {
        registry.emitToString()
    }
}

/// Counts every request by route template (bounded labels), method and status, and its duration.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        metrics.inflight.increment()
        defer { metrics.inflight.decrement() }
        let response = try await next(request, context)
        // Route templates only (bounded labels); hummingbird names unmatched requests "NotFound".
        let route = context.endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
        metrics.recordRequest(
            route: route, method: request.method.rawValue,
            status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
