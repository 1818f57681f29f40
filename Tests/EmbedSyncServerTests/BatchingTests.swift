import EmbedSyncCore
import EmbedSyncServer
import EmbedSyncTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An embedder whose calls wait at a gate until the test opens it, recording each call's size.
final class GatedEmbedder: Embedder, Sendable {
    let identity = ModelIdentity(provider: "scripted", model: "scripted", dimensions: 8)
    let limits = ProviderLimits.openAI
    let tokenCounter: any TokenCounter = ApproximateTokenCounter(reason: "test")
    private let state = Mutex<(open: Bool, calls: [Int])>((false, []))

    var calls: [Int] { state.withLock { $0.calls } }

    func open() {
        state.withLock { $0.open = true }
    }

    func embed(_ texts: [String]) async throws -> EmbeddingResponse {
        state.withLock { $0.calls.append(texts.count) }
        while !state.withLock({ $0.open }) { try await Task.sleep(for: .milliseconds(10)) }
        return EmbeddingResponse(
            vectors: texts.map { FakeProviderServer.vector(for: $0, dimensions: 8) }, billedTokens: nil)
    }
}

@Suite("serve: dynamic batching through a bounded queue")
struct BatchingTests {
    static func request(_ text: String) -> String { #"{"model":"scripted","input":"\#(text)"}"# }

    @Test(
        "requests that arrive while the model is busy are coalesced into one batch, each answered with its own vector")
    func coalesces() async throws {
        let embedder = GatedEmbedder()
        let metrics = ServerMetrics(model: "scripted")
        try await Fixture.app(embedder: embedder, metrics: metrics).test(.router) { client in
            try await withThrowingTaskGroup(of: (String, [Float]).self) { group in
                group.addTask {
                    let answer = try await client.call(.post, "/v1/embeddings", json: Self.request("first"))
                    return ("first", Fixture.floats(answer.data.first?["embedding"]))
                }
                try await waitUntil("the first request reaches the model", timeout: 60) { embedder.calls == [1] }
                for index in 0..<5 {
                    group.addTask {
                        let text = "queued \(index)"
                        let answer = try await client.call(.post, "/v1/embeddings", json: Self.request(text))
                        return (text, Fixture.floats(answer.data.first?["embedding"]))
                    }
                }
                try await waitUntil("five texts wait in the queue", timeout: 60) {
                    metrics.render().contains("embedsync_embed_queue_depth 5")
                }
                embedder.open()
                var answered = 0
                for try await (text, vector) in group {
                    #expect(vector == FakeProviderServer.vector(for: text, dimensions: 8), "\(text)")
                    answered += 1
                }
                #expect(answered == 6)
            }
            #expect(embedder.calls == [1, 5])
        }
    }

    @Test("a request that would overfill the queue gets 429 with Retry-After in the envelope")
    func queueFull() async throws {
        let embedder = GatedEmbedder()
        let metrics = ServerMetrics(model: "scripted")
        let configuration = ServerConfiguration(port: 0, maxQueuedTexts: 2)
        try await Fixture.app(configuration, embedder: embedder, metrics: metrics).test(.router) { client in
            try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask { try await client.call(.post, "/v1/embeddings", json: Self.request("a")).status }
                try await waitUntil("the first request reaches the model", timeout: 60) { embedder.calls == [1] }
                group.addTask {
                    try await client.call(
                        .post, "/v1/embeddings", json: #"{"model":"scripted","input":["b","c"]}"#
                    ).status
                }
                try await waitUntil("two texts wait in the queue", timeout: 60) {
                    metrics.render().contains("embedsync_embed_queue_depth 2")
                }
                let refused = try await client.call(.post, "/v1/embeddings", json: Self.request("d"))
                #expect(refused.status == 429)
                #expect(refused.headers[.retryAfter] == "1")
                #expect(refused.error["code"] as? String == "queue_full")
                embedder.open()
                for try await status in group { #expect(status == 200) }
            }
        }
    }

    @Test("a client that hangs up while its texts wait for the model is not computed for")
    func hangUp() async throws {
        let embedder = GatedEmbedder()
        let metrics = ServerMetrics(model: "scripted")
        try await Fixture.app(embedder: embedder, metrics: metrics).test(.live) { client in
            let port = try #require(client.port)
            try await withThrowingTaskGroup(of: Bool.self) { group in
                // Held at the model for as long as the test needs: a plain socket, with no client read timeout (the
                // test client's 20 s can pass when the whole suite shares two cores).
                group.addTask {
                    try await RawHTTP.post("/v1/embeddings", json: Self.request("first"), port: port)
                        .hasPrefix("HTTP/1.1 200")
                }
                try await waitUntil("the first request reaches the model", timeout: 60) { embedder.calls == [1] }
                let json = Self.request("gone")
                let socket = try RawHTTP.connect(port: port)
                let bytes = Array(
                    ("POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: \(json.utf8.count)\r\n\r\n\(json)").utf8)
                #expect(send(socket, bytes, bytes.count, 0) == bytes.count)
                try await waitUntil("the second request waits in the queue", timeout: 60) {
                    metrics.render().contains("embedsync_embed_queue_depth 1")
                }
                close(socket)
                try await waitUntil("the server sees the hang-up", timeout: 60) {
                    metrics.render().contains("embedsync_http_abandoned_requests_total 1")
                }
                embedder.open()
                for try await answered in group { #expect(answered, "the held request is answered 200") }
            }
            #expect(embedder.calls == [1], "the text of the client that hung up never reached the model")
            let after = try await RawHTTP.post("/v1/embeddings", json: Self.request("next"), port: port)
            #expect(after.hasPrefix("HTTP/1.1 200"), "\(after.prefix(300))")
        }
    }
}
