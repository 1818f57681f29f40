import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import Testing

@Suite("Runner on a SQLite file")
struct RunnerSQLiteTests {
    func runner(
        _ store: SQLiteStore, _ embedder: ScriptedEmbedder, batchSize: Int = 50, selection: Selection = Selection(),
        maxCost: Double? = nil, clock: TestClock = TestClock()
    ) throws -> Runner {
        Runner(
            store: store, embedder: embedder,
            configuration: RunConfiguration(
                template: try TextTemplate(ArticlesDatabase.template), selection: selection, batchSize: batchSize,
                concurrency: 3,
                maxCostUSD: maxCost, pricing: Pricing(perMillionTokens: 1_000_000)),
            clock: clock)
    }

    @Test("embeds every row once, and a second run makes no provider call")
    func secondRunIsFree() async throws {
        let db = try ArticlesDatabase(count: 230)
        let store = try db.store()
        let embedder = ScriptedEmbedder()
        let first = try await runner(store, embedder).run()
        #expect(first.embedded == 230)
        #expect(first.outcome == .completed)
        #expect(embedder.inputs == 230)
        #expect(try db.scalar("SELECT count(*) FROM articles_embeddings") == 230)
        let callsAfterFirst = embedder.calls
        let second = try await runner(store, embedder).run()
        #expect(second.selected == 0)
        #expect(embedder.calls == callsAfterFirst)
        await store.close()
    }

    @Test("stores exactly the vector returned for each row's rendered text")
    func storesTheRightVector() async throws {
        let db = try ArticlesDatabase(count: 12)
        let store = try db.store()
        _ = try await runner(store, ScriptedEmbedder()).run()
        let template = try TextTemplate(ArticlesDatabase.template)
        for (id, vector) in try db.vectors() {
            let text = template.render([
                "title": "Title \(id)", "genre": id % 3 == 0 ? "news" : nil, "body": "Body of article \(id)",
            ])
            #expect(vector == FakeProviderServer.vector(for: text, dimensions: 8))
        }
        await store.close()
    }

    @Test("a NUL inside a TEXT value does not cut the text short")
    func nulInsideText() async throws {
        let db = try ArticlesDatabase(count: 3)
        // Written in SQL (Python's sqlite3 and the sqlite3 shell store such texts whole; GRDB's binding would stop at
        // the NUL).
        try db.execute("UPDATE articles SET title = 'before' || char(0) || 'after' WHERE id = 1")
        try db.execute("UPDATE articles SET title = char(0) || 'leading NUL' WHERE id = 2")
        #expect(try db.scalar("SELECT length(CAST(title AS BLOB)) FROM articles WHERE id = 1") == 12)
        let store = try db.store()
        let rows = try await store.scan(after: nil, limit: 10, fields: ["title"])
        #expect(rows.map { $0.values["title"] ?? nil } == ["before\u{0}after", "\u{0}leading NUL", "Title 3"])
        _ = try await runner(store, ScriptedEmbedder()).run()
        let template = try TextTemplate(ArticlesDatabase.template)
        let vectors = try db.vectors()
        let text = template.render(["title": "before\u{0}after", "genre": nil, "body": "Body of article 1"])
        #expect(text.contains("after"))
        #expect(vectors[1] == FakeProviderServer.vector(for: text, dimensions: 8))
        #expect(
            try db.scalar("SELECT length(CAST(text AS BLOB)) FROM articles_embeddings WHERE id = 1") == text.utf8.count)
        #expect(try db.scalar("SELECT typeof(text) = 'text' FROM articles_embeddings WHERE id = 1") == 1)
        await store.close()
    }

    @Test("editing 10 rows re-embeds exactly those 10, deleting 5 prunes 5")
    func editsAndDeletes() async throws {
        let db = try ArticlesDatabase(count: 100)
        let store = try db.store()
        _ = try await runner(store, ScriptedEmbedder()).run()
        try db.execute("UPDATE articles SET body = body || ' (edited)' WHERE id <= 10")
        try db.execute("DELETE FROM articles WHERE id > 95")
        let embedder = ScriptedEmbedder()
        let summary = try await runner(store, embedder).run()
        #expect(summary.embedded == 10)
        #expect(embedder.inputs == 10)
        #expect(summary.pruned == 5)
        #expect(try db.scalar("SELECT count(*) FROM articles_embeddings") == 95)
        await store.close()
    }

    @Test("editing the template marks every row stale")
    func templateChange() async throws {
        let db = try ArticlesDatabase(count: 20)
        let store = try db.store()
        _ = try await runner(store, ScriptedEmbedder()).run()
        let embedder = ScriptedEmbedder()
        let other = Runner(
            store: store, embedder: embedder, configuration: RunConfiguration(template: try TextTemplate("{{title}}")),
            clock: TestClock())
        #expect(try await other.run().embedded == 20)
        await store.close()
    }

    @Test("--ids selects only the listed rows; --force re-embeds fresh ones")
    func idsAndForce() async throws {
        let db = try ArticlesDatabase(count: 30)
        let store = try db.store()
        let embedder = ScriptedEmbedder()
        let selection = Selection(ids: try IDSelection(parsing: "2,5-7"))
        #expect(try await runner(store, embedder, selection: selection).run().embedded == 4)
        #expect(try db.scalar("SELECT count(*) FROM articles_embeddings") == 4)
        let forced = try await runner(
            store, ScriptedEmbedder(), selection: Selection(ids: try IDSelection(parsing: "5"), force: true)
        ).run()
        #expect(forced.embedded == 1)
        await store.close()
    }

    @Test("a rejected input is isolated by splitting; the rest are stored; the row fails 3 runs then is skipped")
    func rejectedRow() async throws {
        let db = try ArticlesDatabase(count: 8)
        let store = try db.store()
        let embedder = PoisonEmbedder(poisonedID: "Title 5")
        for run in 1...3 {
            let summary = try await Runner(
                store: store, embedder: embedder,
                configuration: RunConfiguration(template: try TextTemplate(ArticlesDatabase.template), batchSize: 8),
                clock: TestClock()
            ).run()
            #expect(summary.failedIDs == [.int(5)], "run \(run)")
        }
        #expect(try db.scalar("SELECT count(*) FROM articles_embeddings") == 7)
        #expect(try db.scalar("SELECT runs FROM embedsync_failures WHERE row_id = 5") == 3)
        let fourth = try await Runner(
            store: store, embedder: embedder,
            configuration: RunConfiguration(template: try TextTemplate(ArticlesDatabase.template)), clock: TestClock()
        ).run()
        #expect(fourth.selected == 0)
        #expect(fourth.skippedFailed == 1)
        await store.close()
    }

    @Test("429 is retried after Retry-After; the run completes")
    func retriesRateLimit() async throws {
        let db = try ArticlesDatabase(count: 10)
        let store = try db.store()
        let embedder = ScriptedEmbedder()
        embedder.fail(with: ProviderError(.rateLimited, "slow down", statusCode: 429, retryAfter: 7))
        let clock = TestClock()
        let summary = try await runner(store, embedder, clock: clock).run()
        #expect(summary.embedded == 10)
        #expect(clock.sleeps.contains { $0 >= 7 && $0 <= 7 + 1.75 }, "\(clock.sleeps)")
        await store.close()
    }

    @Test("an authentication error stops the run and leaves the database exactly as it was")
    func fatalLeavesDatabaseUnchanged() async throws {
        let db = try ArticlesDatabase(count: 10)
        let before = try db.dump()
        let beforeBytes = try Data(contentsOf: URL(fileURLWithPath: db.path))
        let store = try db.store()
        let embedder = ScriptedEmbedder()
        embedder.fail(with: ProviderError(.authentication, "bad key", statusCode: 401))
        await #expect(throws: EmbedSyncError.self) { try await runner(store, embedder, batchSize: 100).run() }
        await store.close()
        #expect(try db.dump() == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: db.path)) == beforeBytes)
    }

    @Test("--max-cost stops before the batch that would pass it, resumably")
    func maxCost() async throws {
        let db = try ArticlesDatabase(count: 40)
        let store = try db.store()
        // Price: 1 USD per token; ApproximateTokenCounter counts ~characters/4 per row.
        let summary = try await runner(store, ScriptedEmbedder(), batchSize: 10, maxCost: 120).run()
        #expect(summary.outcome == .stoppedByMaxCost)
        #expect(summary.costUSD <= 120)
        #expect(summary.embedded > 0 && summary.embedded < 40)
        let resumed = try await runner(store, ScriptedEmbedder(), batchSize: 10).run()
        #expect(resumed.embedded == 40 - summary.embedded)
        await store.close()
    }

    @Test("a table that does not exist is a usage error naming the tables")
    func missingTable() async throws {
        let db = try ArticlesDatabase(count: 1)
        let store = try SQLiteStore(.init(path: db.path, source: .table("nope")))
        await #expect(
            performing: { try await store.sourceSchema() },
            throws: { error in
                (error as? EmbedSyncError)?.code == .usage && "\(error)".contains("articles")
            })
        await store.close()
    }

    @Test("column mode writes the vector into the source table and keeps hashes in a side table")
    func columnMode() async throws {
        let db = try ArticlesDatabase(count: 15)
        try db.execute("ALTER TABLE articles ADD COLUMN embedding BLOB")
        let store = try db.store(target: .column("embedding"))
        let summary = try await runner(store, ScriptedEmbedder()).run()
        #expect(summary.embedded == 15)
        #expect(try db.scalar("SELECT count(*) FROM articles WHERE length(embedding) = 32") == 15)
        #expect(try db.scalar("SELECT count(*) FROM articles_embedsync") == 15)
        #expect(try await runner(store, ScriptedEmbedder()).run().selected == 0)
        await store.close()
    }
}

/// Rejects (HTTP 400) any request containing one marked text.
final class PoisonEmbedder: Embedder, Sendable {
    let identity = ModelIdentity(provider: "scripted", model: "poison", dimensions: 8)
    let limits = ProviderLimits.openAI
    let tokenCounter: any TokenCounter = ApproximateTokenCounter(reason: "test")
    let poisonedID: String

    init(poisonedID: String) {
        self.poisonedID = poisonedID
    }

    func embed(_ texts: [String]) async throws -> EmbeddingResponse {
        if texts.contains(where: { $0.hasPrefix("Title: \(poisonedID)\n") }) {
            throw ProviderError(.rejected, "invalid input", statusCode: 400)
        }
        return EmbeddingResponse(
            vectors: texts.map { FakeProviderServer.vector(for: $0, dimensions: 8) }, billedTokens: nil)
    }
}
