import EmbedSyncCore
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// What the server answers with: the model, optionally a searchable table, and how to report its coverage.
public struct ServerBackend: Sendable {
    public var model: ServedModel
    public var search: SearchBackend?
    /// The table's coverage (`embedsync status --json`'s object), for `/v1/status` and the page.
    public var coverage: (@Sendable () async throws -> JSONValue)?
    /// Whether the store answers, for `/healthz`.
    public var storeCheck: (@Sendable () async -> Bool)?

    public init(
        model: ServedModel, search: SearchBackend? = nil, coverage: (@Sendable () async throws -> JSONValue)? = nil,
        storeCheck: (@Sendable () async -> Bool)? = nil
    ) {
        self.model = model
        self.search = search
        self.coverage = coverage
        self.storeCheck = storeCheck
    }
}

/// Builds the server: router, middleware (in a deliberate order) and services. `embedsync serve` and the tests both
/// call it (hummingbird-examples' `buildApplication` shape).
///
/// Middleware order: metrics see every answer; CORS answers a listed origin's preflight before auth; errors become
/// OpenAI's envelope; then the Host, token and Content-Type gates; then the routes.
/// - Parameters:
///   - services: run beside the HTTP server in one `ServiceGroup` (e.g. the keep-fresh loop).
///   - onListening: called once the socket is bound, with the host and the real port.
public func buildApplication(
    configuration: ServerConfiguration, backend: ServerBackend, metrics: ServerMetrics? = nil,
    services: [any Service] = [], logger: Logger = Logger(label: "embedsync.serve"),
    onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }
) -> some ApplicationProtocol {
    let metrics = metrics ?? ServerMetrics(model: backend.model.id)
    let router = Router(context: ServerRequestContext.self)
    let routes: [String: [HTTPRequest.Method]] = [
        "/": [.get], "/healthz": [.get], "/metrics": [.get], "/v1/models": [.get], "/v1/status": [.get],
        "/v1/embeddings": [.post], "/embeddings": [.post], "/v1/search": [.post],
    ]
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    if !configuration.corsOrigins.isEmpty {
        router.add(middleware: CORSPolicyMiddleware(origins: Set(configuration.corsOrigins)))
    }
    router.add(middleware: ErrorEnvelopeMiddleware(routes: routes, maxBodyBytes: configuration.maxBodyBytes))
    router.add(
        middleware: GateMiddleware(
            token: configuration.token.flatMap { $0.isEmpty ? nil : $0 }, loopbackOnly: configuration.isLoopback))

    let model = backend.model
    let batcher = EmbeddingBatcher(
        model: model, maxBatchTexts: configuration.maxBatchTexts, maxQueuedTexts: configuration.maxQueuedTexts,
        metrics: metrics)
    let embeddings = EmbeddingsRoute(
        model: model, batcher: batcher, maxInputs: configuration.maxInputs, maxBodyBytes: configuration.maxBodyBytes,
        metrics: metrics)
    // The request is read in the handler's task; a client that hangs up after that is no longer computed for.
    let embed: @Sendable (Request, ServerRequestContext) async throws -> Response = { request, context in
        let (body, texts) = try await embeddings.decode(request)
        return try await cancellingOnHangUp(context.channel, metrics: metrics) {
            try await embeddings.respond(body, texts: texts)
        }
    }
    router.post("/v1/embeddings", use: embed)
    router.post("/embeddings", use: embed)
    let search = SearchRoute(
        model: model, backend: backend.search, maxBodyBytes: configuration.maxBodyBytes, metrics: metrics)
    router.post("/v1/search") { request, _ in try await search.respond(request) }
    router.get("/v1/models") { _, _ in
        json(
            .object([
                ("object", .string("list")),
                (
                    "data",
                    .array([
                        .object([
                            ("id", .string(model.id)), ("object", .string("model")), ("created", .int(0)),
                            ("owned_by", .string("embedsync")), ("dimensions", .int(Int64(model.dimensions))),
                        ])
                    ])
                ),
            ]))
    }
    router.get("/v1/status") { _, _ in
        guard let coverage = backend.coverage else { throw APIError.notFound("This server has no table.") }
        return json(try await coverage())
    }
    router.get("/healthz") { _, _ in
        let reachable = await backend.storeCheck?()
        let store: JSONValue = reachable.map { .string($0 ? "ok" : "unreachable") } ?? .null
        return json(
            .object([
                ("status", .string(reachable == false ? "degraded" : "ok")), ("model", .string(model.id)),
                ("dimensions", .int(Int64(model.dimensions))), ("store", store),
                ("search", .bool(backend.search != nil)), ("auth", .bool(configuration.token != nil)),
            ]), status: reachable == false ? .serviceUnavailable : .ok)
    }
    router.get("/metrics") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
    }
    router.get("/") { _, _ in SearchPage.response(auth: configuration.token != nil) }

    let host = configuration.host
    return Application(
        router: router,
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [HangUpHandler()],
                idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))),
        configuration: ApplicationConfiguration(
            address: .hostname(host, port: configuration.port), serverName: "embedsync",
            availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
        services: services + [batcher],
        onServerRunning: { channel in await onListening(host, channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    Response(
        status: status, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: value.serialized())))
}
