import AsyncHTTPClient
import EmbedSyncCore
import Foundation
import NIOCore
import NIOHTTP1

/// The OpenAI-style `POST /embeddings` client for `openai`, `openrouter` and `openai-compatible`.
///
/// Statuses are mapped explicitly: 401/403 and 402 are fatal, 408/409/429/5xx retryable (honouring
/// `Retry-After`), 400/413/422 mark an input as rejected so the pipeline can isolate it; errors inside a
/// 200 body and bodies cut mid-JSON are retryable. The key never appears in an error. The provider's
/// `x-ratelimit-*` headers come back as ``EmbeddingResponse/rateLimits`` (or ``ProviderError/rateLimits``), so the
/// pipeline paces to the account's limits without being told them (see ``RateLimitHeaders``).
public struct OpenAIEmbedder: Embedder {
    public struct Configuration: Sendable {
        /// Which provider this is (`openai`, `openrouter` or `openai-compatible`), for the identity and messages.
        public var provider: Provider
        /// Base URL ending before `/embeddings`, e.g. `https://api.openai.com/v1`.
        public var baseURL: String
        public var apiKey: String?
        /// The environment variable the key came from, named in authentication errors.
        public var apiKeyVariable: String?
        public var model: String
        /// Requested dimensions (v3 models); also the expected vector length.
        public var dimensions: Int
        /// Whether to send `dimensions` in the request.
        public var sendDimensions: Bool
        /// Per-request deadline, in seconds.
        public var timeout: Double
        /// The largest response body read, in bytes.
        public var maxResponseBytes: Int
        public var limits: ProviderLimits

        public init(
            provider: Provider, baseURL: String, apiKey: String?, apiKeyVariable: String?, model: String,
            dimensions: Int,
            sendDimensions: Bool, timeout: Double = 120, maxResponseBytes: Int = 512 * 1024 * 1024,
            limits: ProviderLimits = .openAI
        ) {
            self.provider = provider
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.apiKeyVariable = apiKeyVariable
            self.model = model
            self.dimensions = dimensions
            self.sendDimensions = sendDimensions
            self.timeout = timeout
            self.maxResponseBytes = maxResponseBytes
            self.limits = limits
        }
    }

    public let configuration: Configuration
    public let tokenCounter: any TokenCounter
    let client: HTTPClient
    let redactor: Redactor

    /// One client per process: connection attempts are not retried inside the pool (the pipeline retries
    /// with its own backoff), and connecting gives up after 10 s.
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        configuration.decompression = .enabled(limit: .ratio(50))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(
        configuration: Configuration, tokenCounter: any TokenCounter, client: HTTPClient = OpenAIEmbedder.sharedClient
    ) {
        self.configuration = configuration
        self.tokenCounter = tokenCounter
        self.client = client
        self.redactor = Redactor(secrets: [configuration.apiKey].compactMap { $0 })
    }

    public var identity: ModelIdentity {
        ModelIdentity(
            provider: configuration.provider.rawValue, model: configuration.model, dimensions: configuration.dimensions)
    }

    public var limits: ProviderLimits { configuration.limits }

    var endpoint: String {
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/embeddings"
    }

    public func embed(_ texts: [String]) async throws -> EmbeddingResponse {
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "embedsync/0.1")
        if let key = configuration.apiKey, !key.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(key)")
        }
        if configuration.provider == .openrouter {
            request.headers.add(name: "X-Title", value: "EmbedSync")
        }
        request.body = .bytes(ByteBuffer(bytes: requestBody(texts)))

        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .milliseconds(Int64(configuration.timeout * 1000)))
            body = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch {
            throw classifyTransport(error)
        }
        let bytes = Array(body.readableBytesView)
        let status = Int(response.status.code)
        // The limits the provider reports go back with the answer or the error, so the pipeline paces to them.
        let limits = RateLimitHeaders.hint(from: response.headers)
        do {
            guard status == 200 else {
                throw classify(status: status, headers: response.headers, body: bytes)
            }
            var answer = try parse(bytes, expected: texts.count)
            answer.rateLimits = limits
            return answer
        } catch var error as ProviderError {
            error.rateLimits = limits
            throw error
        }
    }

    func requestBody(_ texts: [String]) -> [UInt8] {
        var object: [String: Any] = ["model": configuration.model, "input": texts, "encoding_format": "float"]
        if configuration.sendDimensions { object["dimensions"] = configuration.dimensions }
        return (try? Array(JSONSerialization.data(withJSONObject: object))) ?? []
    }
}

extension OpenAIEmbedder.Configuration: SecretHolding {
    public var shownFields: KeyValuePairs<String, Any> {
        [
            "provider": provider, "baseURL": baseURL, "apiKey": Redacted.secret(apiKey),
            "apiKeyVariable": apiKeyVariable as Any, "model": model, "dimensions": dimensions,
        ]
    }
}
