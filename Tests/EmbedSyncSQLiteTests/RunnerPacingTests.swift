import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import Synchronization
import Testing

@Suite("Runner pacing")
struct RunnerPacingTests {
    @Test("limits the provider reports with its answers pace the rest of the run evenly")
    func reportedLimits() async throws {
        let db = try ArticlesDatabase(count: 20)
        let store = try db.store()
        let embedder = ScriptedEmbedder()
        embedder.report(RateLimitHint(requests: .init(limitPerMinute: 600, remaining: 599, resetSeconds: 0.1)))
        let clock = TestClock()
        let summary = try await Runner(
            store: store, embedder: embedder,
            configuration: RunConfiguration(template: try TextTemplate(ArticlesDatabase.template), batchSize: 1),
            clock: clock
        ).run()
        await store.close()
        #expect(summary.embedded == 20)
        // The first request goes alone and its answer brings the limit: the other 19 are spaced 0.1 s from it.
        #expect(clock.sleeps.count == 19, "\(clock.sleeps)")
        #expect(clock.sleeps.allSatisfy { abs($0 - 0.1) < 1e-9 }, "\(clock.sleeps)")
    }

    @Test("an embedder that learns no limits (the local model) gets its second batch before the first is answered")
    func opensWide() async throws {
        for probing in [false, true] {
            let db = try ArticlesDatabase(count: 6)
            let store = try db.store()
            var limits = ProviderLimits.openAI
            limits.probesFirst = probing
            let embedder = PairingEmbedder(limits: limits)
            let summary = try await Runner(
                store: store, embedder: embedder,
                configuration: RunConfiguration(
                    template: try TextTemplate(ArticlesDatabase.template), batchSize: 3, concurrency: 2)
            ).run()
            await store.close()
            #expect(summary.embedded == 6)
            // Probing, the second batch waits for the first answer, so the first call never sees it arrive.
            #expect(embedder.firstSawSecond == !probing, "probing: \(probing)")
        }
    }
}

/// Answers its first call only once a second call has arrived, or after 2 s without one.
private final class PairingEmbedder: Embedder, Sendable {
    let identity = ModelIdentity(provider: "scripted", model: "pairing", dimensions: 4)
    let limits: ProviderLimits
    let tokenCounter: any TokenCounter = ApproximateTokenCounter(reason: "test")
    private let calls = Mutex(0)
    private let second = DispatchSemaphore(value: 0)
    private let sawSecond = Mutex<Bool?>(nil)

    init(limits: ProviderLimits) { self.limits = limits }

    var firstSawSecond: Bool? { sawSecond.withLock { $0 } }

    func embed(_ texts: [String]) async throws -> EmbeddingResponse {
        let call = calls.withLock { calls in
            calls += 1
            return calls
        }
        if call == 1 {
            let second = self.second
            let arrived = await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: second.wait(timeout: .now() + 2)) }
            }
            sawSecond.withLock { $0 = arrived == .success }
        } else if call == 2 {
            second.signal()
        }
        return EmbeddingResponse(
            vectors: texts.map { FakeProviderServer.vector(for: $0, dimensions: 4) }, billedTokens: texts.count)
    }
}
