import EmbedSyncCore
import EmbedSyncTesting
import PostgresNIO
import Testing

@testable import EmbedSyncPostgres

/// A run over an unchanged PostgreSQL table leaves fresh rows out in SQL (their fingerprint of the template and the
/// fields matches); every change must still be seen.
@Suite("PostgreSQL skips fresh rows in SQL", .enabled(if: PostgresTestEnvironment.shouldRun))
struct PostgresFreshnessTests {
    func run(
        _ store: PostgresStore, _ embedder: ScriptedEmbedder, template: String = "{{title}}"
    ) async throws
        -> RunSummary
    {
        try await Runner(
            store: store, embedder: embedder, configuration: RunConfiguration(template: try TextTemplate(template))
        ).run()
    }

    /// What a run's scan would transfer now.
    func transferred(
        _ store: PostgresStore, _ embedder: ScriptedEmbedder, template: String = "{{title}}"
    ) async throws
        -> [RowID]
    {
        let key = FreshnessKey(template: template, modelKey: embedder.identity.storageKey, fields: ["title"])
        return try await store.scanSkippingFresh(after: nil, limit: 1000, fields: ["title"], key: key).map(\.id)
    }

    @Test("unchanged rows are not transferred once fingerprinted; edits, an edit undone and a new template are seen")
    func skipsOnlyFreshRows() async throws {
        try await TestDatabase.with { db in
            let docs = db.sql("docs")
            try await db.execute("CREATE TABLE \(docs) (id bigint PRIMARY KEY, title text)")
            try await db.execute("INSERT INTO \(docs) SELECT g, 'title ' || g FROM generate_series(1, 50) g")
            let store = try await db.store(source: .table(db.name("docs")))
            let embedder = ScriptedEmbedder()
            #expect(try await run(store, embedder).embedded == 50)
            // Each commit stores the fingerprint of the fields it checked the text against.
            let fingerprinted = "SELECT count(source_fingerprint) FROM \(db.sql("docs_embeddings"))"
            #expect(try await db.count(fingerprinted) == 50)
            #expect(try await transferred(store, embedder) == [])
            #expect(try await run(store, embedder).selected == 0)

            try await db.execute("UPDATE \(docs) SET title = 'edited' WHERE id = 7")
            #expect(try await transferred(store, embedder) == [.int(7)])
            // status and estimate count the rows left out as up to date.
            let classifier = RowClassifier(
                template: try TextTemplate("{{title}}"), model: embedder.identity, selection: Selection())
            let counts = try await Survey(store: store, classifier: classifier).run()
            #expect([counts.rowsTotal, counts.upToDate, counts.stale, counts.selected] == [50, 49, 1, 1])
            #expect(try await run(store, embedder).embedded == 1)
            // Back to the old text: the old fingerprint would match again, so a commit must have cleared it.
            try await db.execute("UPDATE \(docs) SET title = 'title 7' WHERE id = 7")
            #expect(try await run(store, embedder).embedded == 1)
            _ = try await run(store, embedder)
            #expect(try await transferred(store, embedder) == [])

            #expect(try await transferred(store, embedder, template: "{{title}}!").count == 50)
            #expect(try await run(store, embedder, template: "{{title}}!").embedded == 50)
            try await db.execute(
                """
                INSERT INTO \(db.sql("embedsync_failures")) (target, row_id, content_hash, error_class, message, \
                attempts, runs, updated_at) VALUES ('docs_embeddings', '3', 'h', 'x', 'm', 1, 1, now())
                """)
            _ = try await run(store, embedder, template: "{{title}}!")
            #expect(try await transferred(store, embedder, template: "{{title}}!") == [.int(3)])
        }
    }

    @Test("a target made before the fingerprint column gets it at the next run, and stays correct")
    func olderTarget() async throws {
        try await TestDatabase.with { db in
            let docs = db.sql("docs")
            try await db.execute("CREATE TABLE \(docs) (id bigint PRIMARY KEY, title text)")
            try await db.execute("INSERT INTO \(docs) SELECT g, 'title ' || g FROM generate_series(1, 20) g")
            let embedder = ScriptedEmbedder()
            #expect(try await run(try await db.store(source: .table(db.name("docs"))), embedder).embedded == 20)
            try await db.execute("ALTER TABLE \(db.sql("docs_embeddings")) DROP COLUMN source_fingerprint")
            try await db.execute("UPDATE \(docs) SET title = 'changed' WHERE id = 4")

            let store = try await db.store(source: .table(db.name("docs")))
            #expect(try await store.canSkipFresh() == false)
            // This run reads every row: 19 are found fresh and fingerprinted, the changed one is embedded.
            #expect(try await run(store, embedder).embedded == 1)
            #expect(try await store.canSkipFresh())
            #expect(try await db.count("SELECT count(source_fingerprint) FROM \(db.sql("docs_embeddings"))") == 20)
            #expect(try await run(store, embedder).selected == 0)
            #expect(try await transferred(store, embedder) == [])
        }
    }
}
