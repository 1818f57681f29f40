import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import Testing

/// The scan a keep-fresh run makes over every row: through the target's freshness index, reading each value once.
@Suite("SQLite freshness scan")
struct FreshnessScanTests {
    func run(_ store: SQLiteStore, _ embedder: ScriptedEmbedder) async throws -> RunSummary {
        try await Runner(
            store: store, embedder: embedder,
            configuration: RunConfiguration(template: try TextTemplate(ArticlesDatabase.template))
        ).run()
    }

    @Test("a run indexes what the freshness check reads, also on a target made before that index existed")
    func indexMadeAndRemade() async throws {
        let db = try ArticlesDatabase(count: 40)
        let store = try db.store()
        let embedder = ScriptedEmbedder()
        #expect(try await run(store, embedder).embedded == 40)
        let indexCount = "SELECT count(*) FROM sqlite_master WHERE name = 'articles_embeddings_freshness'"
        #expect(try db.scalar(indexCount) == 1)
        await store.close()

        try db.execute("DROP INDEX articles_embeddings_freshness")  // a target written by an older version
        let again = try db.store()
        let calls = embedder.calls
        let summary = try await run(again, embedder)
        #expect(summary.selected == 0)
        #expect(embedder.calls == calls)
        #expect(try db.scalar(indexCount) == 1)
        try db.execute("UPDATE articles SET title = 'edited' WHERE id = 7")
        #expect(try await run(again, embedder).embedded == 1)
        await again.close()
    }

    @Test("every storage class reads as template text, and failure records are found for integer and text ids")
    func valuesAndFailures() async throws {
        let db = try ArticlesDatabase(count: 1)
        try db.execute("CREATE TABLE mixed (id TEXT PRIMARY KEY, a, b, c, d, e)")
        try db.execute(
            """
            INSERT INTO mixed VALUES ('k1', 42, 2.5, 3.0, CAST('bytes' AS BLOB), NULL),
                ('k2', 'x' || char(0) || 'y', -7, 1e20, '', 'plain')
            """)
        let store = try SQLiteStore(.init(path: db.path, source: .table("mixed")))
        let embedder = ScriptedEmbedder()
        _ = try await Runner(
            store: store, embedder: embedder,
            configuration: RunConfiguration(template: try TextTemplate("{{a}} {{b}} {{c}} {{d}} {{e}}"))
        ).run()
        try db.execute(
            """
            INSERT INTO embedsync_failures VALUES ('mixed_embeddings', 'k2', 'h', 'invalid_input', 'm', 1, 2, NULL, 0)
            """)
        let rows = try await store.scan(after: nil, limit: 10, fields: ["a", "b", "c", "d", "e"])
        #expect(rows.map(\.id) == [.text("k1"), .text("k2")])
        #expect(rows[0].values == ["a": "42", "b": "2.5", "c": "3", "d": "bytes", "e": nil])
        #expect(rows[1].values == ["a": "x\0y", "b": "-7", "c": "1e+20", "d": "", "e": "plain"])
        #expect(rows[0].failure == nil)
        #expect(rows[1].failure == FailureState(runs: 2, contentHash: "h"))
        #expect(rows.allSatisfy { $0.stored != nil })
        await store.close()

        let articles = try db.store()
        _ = try await run(articles, embedder)
        let failure = "INSERT INTO embedsync_failures VALUES ('articles_embeddings', 1, 'h2', 'x', 'm', 1, 3, NULL, 0)"
        try db.execute(failure)
        let scanned = try await articles.scan(after: nil, limit: 10, fields: ["title"])
        #expect(scanned.first?.failure == FailureState(runs: 3, contentHash: "h2"))
        await articles.close()
    }
}
