import EmbedSyncCore
import EmbedSyncServer
import EmbedSyncTesting
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A live server in a `ServiceGroup` of the test's own: idle connections are closed, and a graceful shutdown
/// lets the request in flight finish before the group returns.
@Suite("serve: idle timeout and graceful shutdown")
struct LifecycleTests {
    /// Runs `body` with a live server on a free port and its group, then shuts the group down.
    func withServer(
        _ configuration: ServerConfiguration, embedder: any Embedder,
        _ body: @Sendable (Int, ServiceGroup) async throws -> Void
    ) async throws {
        let port = Mutex<Int?>(nil)
        let app = buildApplication(
            configuration: configuration, backend: ServerBackend(model: ServedModel(embedder: embedder)),
            onListening: { _, bound in port.withLock { $0 = bound } })
        let group = ServiceGroup(
            configuration: .init(services: [app], logger: Logger(label: "embedsync.serve.test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await waitUntil("the server is listening", timeout: 180) { port.withLock { $0 } != nil }
            try await body(port.withLock { $0 } ?? 0, group)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("an idle connection is closed after the idle timeout")
    func idleTimeout() async throws {
        try await withServer(ServerConfiguration(port: 0, idleTimeoutSeconds: 1), embedder: ScriptedEmbedder()) {
            port, _ in
            let socket = try RawHTTP.connect(port: port)
            defer { close(socket) }
            let started = Date()
            // Returns when the server closes the connection.
            let received = try await RawHTTP.offloaded { RawHTTP.readToEnd(socket) }
            #expect(received.isEmpty)
            #expect(Date().timeIntervalSince(started) < 30)
        }
    }

    @Test("graceful shutdown finishes the request in flight (200) before the group returns")
    func gracefulShutdown() async throws {
        let embedder = GatedEmbedder()
        try await withServer(ServerConfiguration(port: 0), embedder: embedder) { port, group in
            let answer = Task {
                try await RawHTTP.post("/v1/embeddings", json: #"{"model":"scripted","input":"in flight"}"#, port: port)
            }
            try await waitUntil("the request reaches the model", timeout: 180) { embedder.calls == [1] }
            await group.triggerGracefulShutdown()
            embedder.open()
            let text = try await answer.value
            #expect(text.hasPrefix("HTTP/1.1 200"), "\(text.prefix(200))")
            #expect(text.contains("\"embedding\""))
        }
    }
}
