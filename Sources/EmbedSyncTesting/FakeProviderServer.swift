import EmbedSyncCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP server on 127.0.0.1 that speaks OpenAI's `POST /v1/embeddings` wire format, with scripted faults.
///
/// Vectors are a deterministic function of the input text, so tests can check what was stored.
/// Markers inside an input trigger per-input faults: `POISON` → HTTP 400 for any request containing it,
/// `NAN!` → that vector is all `NaN` (sent as bare `NaN`), `WRONGDIM` → that vector is one dimension short.
///
/// ```swift
/// let server = try await FakeProviderServer.start(.init(dimensions: 8, apiKey: "sk-test"))
/// server.enqueue(.status(429, retryAfter: "1"))
/// ```
public final class FakeProviderServer: Sendable {
    public struct Options: Sendable {
        public var dimensions: Int
        /// The key requests must carry as `Bearer`; `nil` accepts any.
        public var apiKey: String?
        /// Seconds every response is delayed.
        public var latency: Double
        /// Tokens billed per input; defaults to whitespace-separated words + 1.
        public var tokenCount: @Sendable (String) -> Int
        /// The model's context: an input of more tokens (by `tokenCount`) is refused with OpenAI's 400 "maximum
        /// context length" message; `nil` accepts any length.
        public var maxInputTokens: Int? = nil
        /// The refusal's message instead of OpenAI's (which states the limit and the count).
        public var overflowMessage: String? = nil
        /// Limits reported in `x-ratelimit-*` headers; `nil` sends none.
        public var rateLimits: RateLimits?

        public init(
            dimensions: Int = 8, apiKey: String? = nil, latency: Double = 0,
            tokenCount: (@Sendable (String) -> Int)? = nil, rateLimits: RateLimits? = nil
        ) {
            self.dimensions = dimensions
            self.apiKey = apiKey
            self.latency = latency
            self.rateLimits = rateLimits
            self.tokenCount = tokenCount ?? { text in text.split(whereSeparator: \.isWhitespace).count + 1 }
        }
    }

    /// A fault served to the next request, in the order enqueued.
    public enum Fault: Sendable {
        /// Answer with this status and an OpenAI-style error body.
        case status(Int, retryAfter: String? = nil, message: String = "scripted failure")
        /// Send the headers and half the JSON body, then close the connection.
        case cutBody
        /// HTTP 200 with `{"error": {...}}` instead of data (OpenRouter does this).
        case errorIn200(code: Int?, message: String)
        /// Wait this many seconds before answering normally.
        case delay(Double)
        /// Answer normally but with one vector fewer than inputs.
        case missingVector
    }

    /// What the server has seen.
    public struct Stats: Sendable {
        /// Every request received, faulted or not.
        public var requests = 0
        /// Inputs in requests answered 200 with vectors.
        public var inputsEmbedded = 0
        /// Every input of every request, in arrival order.
        public var inputsSeen: [String] = []
        /// Tokens reported in `usage`.
        public var tokensBilled = 0
        /// `Authorization` header values received.
        public var authorizations: Set<String> = []
        /// Inputs of successful requests, with how often each was embedded.
        public var embeddedCounts: [String: Int] = [:]
        /// `dimensions` values requested.
        public var requestedDimensions: Set<Int> = []
        /// Every embeddings request with inputs, when it arrived and its tokens: the rate a run sent at.
        public var arrivals: [Arrival] = []
    }

    public let options: Options
    public let port: Int
    private let channel: any Channel
    let state: Mutex<ServerState>

    struct ServerState {
        var faults: [Fault] = []
        var stats = Stats()
        var gate = Gate()
        var buckets: [String: (level: Double, at: Double)] = [:]
        var batches = BatchBook()
    }

    /// When the server started, for arrival times.
    let started = ContinuousClock.now

    /// Seconds since the server started.
    var elapsed: Double {
        let duration = ContinuousClock.now - started
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private init(options: Options, channel: any Channel) {
        self.options = options
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.state = Mutex(ServerState())
    }

    /// The base URL to pass as `--base-url`: `http://127.0.0.1:PORT/v1`.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// Starts the server on an ephemeral port of 127.0.0.1 (or `port`).
    public static func start(_ options: Options = Options(), port: Int = 0) async throws -> FakeProviderServer {
        let box = StateBox()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(FakeProviderHandler(box: box))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        let server = FakeProviderServer(options: options, channel: channel)
        box.server.withLock { $0 = server }
        return server
    }

    /// Queues faults for the next requests.
    public func enqueue(_ faults: Fault...) {
        state.withLock { $0.faults.append(contentsOf: faults) }
    }

    /// A snapshot of what the server has seen.
    public var stats: Stats { state.withLock { $0.stats } }

    /// Lets the next `count` requests through and holds every later one, unanswered, until ``openGate()``.
    ///
    /// Tests use it instead of sleeps: a run can be stopped or killed at a known point, however slow the machine.
    public func closeGate(after count: Int) {
        state.withLock { $0.gate.limit = $0.gate.admitted + count }
    }

    /// Answers every held request and lets later ones through.
    public func openGate() {
        let held = state.withLock { state in
            state.gate.limit = nil
            defer { state.gate.held.removeAll() }
            return state.gate.held
        }
        for answer in held { answer() }
    }

    /// Requests waiting at the closed gate.
    public var heldRequests: Int { state.withLock { $0.gate.held.count } }

    /// Holds `answer` when the gate is closed and its quota is spent; returns whether it was held.
    func hold(_ answer: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            state.gate.admitted += 1
            guard let limit = state.gate.limit, state.gate.admitted > limit else { return false }
            state.gate.held.append(answer)
            return true
        }
    }

    public func resetStats() {
        state.withLock { $0.stats = Stats() }
    }

    public func shutdown() async throws {
        try await channel.close()
    }

    /// The vector the server returns for a text: deterministic, L2-normalised.
    public static func vector(for text: String, dimensions: Int) -> [Float] {
        var seed: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            seed = (seed ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        var values: [Float] = []
        values.reserveCapacity(dimensions)
        for _ in 0..<dimensions {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(Float(Int64(bitPattern: seed >> 11) % 2000 - 1000) / 1000 + 0.001)
        }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { $0 / norm }
    }
}

/// Requests admitted so far and the ones held back by ``FakeProviderServer/closeGate(after:)``.
struct Gate {
    var admitted = 0
    var limit: Int?
    var held: [@Sendable () -> Void] = []
}

/// Lets the channel initializer reach the server object created after binding.
final class StateBox: Sendable {
    let server = Mutex<FakeProviderServer?>(nil)
}
