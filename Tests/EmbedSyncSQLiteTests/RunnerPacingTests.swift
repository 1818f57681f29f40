import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
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
}
