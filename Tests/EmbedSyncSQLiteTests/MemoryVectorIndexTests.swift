import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import Testing

/// The server's in-memory search over a SQLite table: the same answers as the store's own search, and never older
/// than the newest commit, whoever made it.
@Suite("MemoryVectorIndex over SQLite")
struct MemoryVectorIndexTests {
    static let model = ScriptedEmbedder().identity

    static func embedded(count: Int) async throws -> (ArticlesDatabase, SQLiteStore) {
        let database = try ArticlesDatabase(count: count)
        let store = try database.store()
        let template = try TextTemplate("{{title}}")
        _ = try await Runner(
            store: store, embedder: ScriptedEmbedder(), configuration: RunConfiguration(template: template)
        ).run()
        return (database, store)
    }

    static func query(_ text: String) -> [Float] {
        FakeProviderServer.vector(for: text, dimensions: model.dimensions)
    }

    @Test("top-k, scores, min score and filters equal the store's own search")
    func sameAnswers() async throws {
        let (_, store) = try await Self.embedded(count: 300)
        let index = MemoryVectorIndex(store: store, model: Self.model)
        try await index.load()
        #expect(await index.count == 300)
        let filters: [SearchFilter?] = [
            nil, "genre = 'news'", SearchFilter(parts: [.sql("id > "), .value(.integer(250))]),
        ]
        for text in ["Title 7", "Title 123", "something else"] {
            for minScore in [nil, 0.5] as [Double?] {
                for filter in filters {
                    let expected = try await store.search(
                        query: Self.query(text), model: Self.model, k: 10, minScore: minScore, filter: filter,
                        fields: [])
                    let got = try await index.search(query: Self.query(text), k: 10, minScore: minScore, filter: filter)
                    #expect(got.map(\.id) == expected.map(\.id), "\(text) \(String(describing: filter))")
                    for (a, b) in zip(got, expected) { #expect(abs(a.score - b.score) < 1e-5) }
                    #expect(!got.isEmpty || minScore != nil)
                }
            }
        }
        await store.close()
    }

    @Test("a commit through the store or from another connection is seen by the next query; no commit, no reload")
    func freshness() async throws {
        let (database, store) = try await Self.embedded(count: 20)
        let index = MemoryVectorIndex(store: store, model: Self.model)
        try await index.load()
        let first = try await index.search(query: Self.query("Title 21"), k: 1, minScore: nil, filter: nil)
        #expect(first.first?.id != .int(21))
        _ = try await index.search(query: Self.query("Title 3"), k: 1, minScore: nil, filter: nil)
        #expect(await index.loads == 1, "nothing was committed, so nothing is read again")

        // A new row, embedded through the same store (as the server's keep-fresh loop does).
        try database.execute("INSERT INTO articles VALUES (21, 'Title 21', 'new', NULL)")
        _ = try await Runner(
            store: store, embedder: ScriptedEmbedder(),
            configuration: RunConfiguration(template: try TextTemplate("{{title}}"))
        ).run()
        let added = try await index.search(query: Self.query("Title 21"), k: 1, minScore: nil, filter: nil)
        #expect(added.first?.id == .int(21))
        #expect(abs((added.first?.score ?? 0) - 1) < 1e-5)

        // Another process removes a vector: the next query no longer finds it.
        try database.execute("DELETE FROM articles_embeddings WHERE id = 21")
        let removed = try await index.search(query: Self.query("Title 21"), k: 1, minScore: nil, filter: nil)
        #expect(removed.first?.id != .int(21))
        #expect(await index.count == 20)
        #expect(await index.loads == 3)
        await store.close()
    }
}
