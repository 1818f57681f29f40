import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import Testing

@Suite("Exact search on SQLite")
struct SearchTests {
    static let model = ModelIdentity(provider: "scripted", model: "scripted", dimensions: 8)

    /// 500 rows embedded by the scripted embedder (deterministic unit vectors).
    func embedded(rows: Int = 500) async throws -> (ArticlesDatabase, SQLiteStore) {
        let db = try ArticlesDatabase(count: rows)
        let store = try db.store()
        _ = try await Runner(
            store: store, embedder: ScriptedEmbedder(),
            configuration: RunConfiguration(template: try TextTemplate(ArticlesDatabase.template)), clock: TestClock()
        ).run()
        return (db, store)
    }

    func bruteForce(_ db: ArticlesDatabase, query: [Float], ids: Set<Int64>? = nil) throws -> [(Int64, Double)] {
        let q = VectorScan.normalized(query)
        return try db.vectors().filter { ids?.contains($0.key) ?? true }.map { id, vector in
            let norm = vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            let dot = zip(vector, q).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            return (id, dot / norm)
        }.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    }

    @Test(
        "returns the same ids in the same order as a brute-force cosine, scores within 1e-5", arguments: [1, 10, 100])
    func matchesBruteForce(_ k: Int) async throws {
        let (db, store) = try await embedded()
        let query = FakeProviderServer.vector(for: "some query text", dimensions: 8)
        let hits = try await store.search(query: query, model: Self.model, k: k, minScore: nil, filter: nil, fields: [])
        let reference = try bruteForce(db, query: query).prefix(k)
        #expect(hits.map(\.id) == reference.map { RowID.int($0.0) })
        for (hit, expected) in zip(hits, reference) {
            #expect(abs(hit.score - expected.1) < 1e-5)
        }
        await store.close()
    }

    @Test("--min-score drops weaker results")
    func minScore() async throws {
        let (db, store) = try await embedded()
        let query = FakeProviderServer.vector(for: "another query", dimensions: 8)
        let hits = try await store.search(
            query: query, model: Self.model, k: 500, minScore: 0.5, filter: nil, fields: [])
        let reference = try bruteForce(db, query: query).filter { $0.1 >= 0.5 }
        #expect(hits.count == reference.count)
        #expect(hits.allSatisfy { $0.score >= 0.5 - 1e-6 })
        await store.close()
    }

    @Test("--where filters on the source rows' own columns")
    func filter() async throws {
        let (db, store) = try await embedded()
        let query = FakeProviderServer.vector(for: "news please", dimensions: 8)
        let hits = try await store.search(
            query: query, model: Self.model, k: 5, minScore: nil, filter: "genre = 'news' AND id < 100", fields: [])
        let allowed = Set((1..<100).filter { $0 % 3 == 0 }.map(Int64.init))
        let reference = try bruteForce(db, query: query, ids: allowed).prefix(5)
        #expect(hits.map(\.id) == reference.map { RowID.int($0.0) })
        await store.close()
    }

    @Test(
        "a --where that writes or does not parse is refused",
        arguments: ["1; DELETE FROM articles", "nosuchcolumn = 1"])
    func badFilter(_ filter: String) async throws {
        let (db, store) = try await embedded(rows: 20)
        await #expect(throws: EmbedSyncError.self) {
            try await store.search(
                query: [1, 0, 0, 0, 0, 0, 0, 0], model: Self.model, k: 3, minScore: nil,
                filter: SearchFilter(sql: filter), fields: [])
        }
        #expect(try db.scalar("SELECT count(*) FROM articles") == 20)
        await store.close()
    }

    @Test("a query with another model is refused by the Searcher")
    func otherModel() async throws {
        let (_, store) = try await embedded(rows: 10)
        let searcher = Searcher(
            store: store, embedder: ScriptedEmbedder(dimensions: 4),
            template: try TextTemplate(ArticlesDatabase.template))
        await #expect(throws: EmbedSyncError.self) { try await searcher.search("x") }
        await store.close()
    }

    @Test("the Searcher renders each result's text from the source row")
    func renders() async throws {
        let (_, store) = try await embedded(rows: 30)
        let template = try TextTemplate(ArticlesDatabase.template)
        let text = template.render(["title": "Title 7", "genre": nil, "body": "Body of article 7"])
        let results = try await Searcher(store: store, embedder: ScriptedEmbedder(), template: template).search(
            text, k: 1)
        #expect(results.first?.id == .int(7))
        #expect(results.first?.text == text)
        #expect(abs((results.first?.score ?? 0) - 1) < 1e-5)
        await store.close()
    }
}
