import EmbedSyncCore

/// How `embedsync serve` listens and whom it answers; every default is the safe one.
public struct ServerConfiguration: Sendable {
    /// The address to bind (default loopback only).
    public var host: String
    /// The port; 0 lets the OS choose (the chosen one is reported through `onListening`).
    public var port: Int
    /// The bearer token `/v1/*` requires; `nil` means no auth (then `Authorization` headers are ignored).
    public var token: String?
    /// Origins allowed to call from a browser; empty means CORS is off (never reflect-all).
    public var corsOrigins: [String]
    /// Largest request body accepted (default 4 MiB); larger ones get 413.
    public var maxBodyBytes: Int
    /// Most inputs in one `/v1/embeddings` request (OpenAI: 2048).
    public var maxInputs: Int
    /// Other names `model` may take besides the served id.
    public var modelAliases: [String]
    /// Seconds an idle connection stays open.
    public var idleTimeoutSeconds: Int
    /// Most connections open at once.
    public var maxConnections: Int
    /// Most texts in one model batch that concurrent requests are coalesced into.
    public var maxBatchTexts: Int
    /// Most texts waiting for a batch; a request that would pass it gets 429.
    public var maxQueuedTexts: Int

    public init(
        host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, corsOrigins: [String] = [],
        maxBodyBytes: Int = 4 << 20, maxInputs: Int = 2048, modelAliases: [String] = [], idleTimeoutSeconds: Int = 60,
        maxConnections: Int = 256, maxBatchTexts: Int = 256, maxQueuedTexts: Int = 8192
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.corsOrigins = corsOrigins
        self.maxBodyBytes = maxBodyBytes
        self.maxInputs = maxInputs
        self.modelAliases = modelAliases
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnections = maxConnections
        self.maxBatchTexts = maxBatchTexts
        self.maxQueuedTexts = maxQueuedTexts
    }

    /// Whether the bind address is loopback only (then the `Host` header must name loopback too).
    public var isLoopback: Bool { Self.isLoopbackName(host) }

    static func isLoopbackName(_ name: String) -> Bool {
        let bare = name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.") || bare.hasSuffix(".localhost")
    }

    /// Refuses settings that would expose the server: a non-loopback address without a token.
    /// - Throws: ``EmbedSyncError`` (`.usage`) saying how to set a token.
    public func validate() throws {
        if !isLoopback && (token ?? "").isEmpty {
            let text =
                "Refusing to listen on \(host) without a token: anyone who can reach it could use the model and "
                + "read the table. Put a secret in an environment variable (export EMBEDSYNC_SERVE_TOKEN=…) and "
                + "pass --token-env EMBEDSYNC_SERVE_TOKEN, or listen on 127.0.0.1."
            throw EmbedSyncError(.usage, ErrorMessage(text))
        }
        guard (0...65535).contains(port) else {
            throw EmbedSyncError(.usage, "The port must be between 0 and 65535 (got \(port)).")
        }
        guard maxBodyBytes >= 1024 else {
            throw EmbedSyncError(.usage, "The body limit must be at least 1024 bytes (got \(maxBodyBytes)).")
        }
    }
}
