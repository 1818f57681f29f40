import EmbedSyncCore
import EmbedSyncTesting
import PostgresNIO
import Testing

@testable import EmbedSyncPostgres

@Suite("PostgresStore chunk search", .enabled(if: PostgresTestEnvironment.shouldRun))
struct PostgresChunkSearchTests {
    @Test("with an HNSW index on the chunks, rows still rank by their best chunk, once each; index drop removes it")
    func hnswChunks() async throws {
        try await TestDatabase.with { db in
            try await db.execute("CREATE TABLE \(db.sql("docs")) (id bigint PRIMARY KEY, title text)")
            // 30 rows of 40 filler words; row 17 ends with the phrase.
            try await db.execute(
                """
                INSERT INTO \(db.sql("docs")) SELECT g, repeat('lorem ', 40) || \
                CASE WHEN g = 17 THEN 'purple zebra' ELSE 'plain end' END FROM generate_series(1, 30) g
                """)
            let store = try await db.store(source: .table(db.name("docs")))
            var configuration = RunConfiguration(template: try TextTemplate("{{title}}"))
            configuration.chunking = ChunkSettings(tokens: 8, overlap: 2)
            let embedder = KeywordEmbedder()
            let summary = try await Runner(store: store, embedder: embedder, configuration: configuration).run()
            #expect(summary.chunksEmbedded == 30 * 7)
            try await db.execute("ANALYZE \(db.sql("docs_embeddings_chunks")), \(db.sql("docs_embeddings"))")
            #expect(try await store.chunksPerRow(try await store.layout()) == 7)
            try await store.createIndex()
            var found = try await db.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT indexdef FROM pg_indexes WHERE schemaname = '\(db.schema)' AND indexname = \
                        'docs_embeddings_chunks_embedding_hnsw'
                        """))
            #expect(try found.first?.decode(String.self).contains("USING hnsw (embedding") == true)
            let hits = try await store.searchChunks(
                query: embedder.vector("purple zebra"), model: embedder.identity, k: 5, minScore: nil, filter: nil,
                fields: [])
            #expect(hits.first?.id == .int(17), "\(hits.map(\.id))")
            #expect(hits.first?.storedText?.hasSuffix("purple zebra") == true)
            #expect(hits.count == 5 && Set(hits.map(\.id)).count == 5, "\(hits.map(\.id))")
            try await store.dropIndex()
            found = try await db.query(
                PostgresQuery(
                    unsafeSQL: "SELECT 1 FROM pg_indexes WHERE schemaname = '\(db.schema)' AND indexname LIKE '%hnsw'"))
            #expect(found.isEmpty)
        }
    }
}
