import EmbedSyncCore
import PostgresNIO
import Testing

@testable import EmbedSyncPostgres

@Suite("PostgresStore search", .enabled(if: PostgresTestEnvironment.shouldRun))
struct PostgresSearchTests {
    static let otherModel = ModelIdentity(provider: "test", model: "other", dimensions: 8)

    /// 60 rows in categories a/b/c with vectors from their titles, plus 5 rows stored with another model.
    func makeStore(
        _ db: TestDatabase, target: TargetSpec = .table(nil)
    ) async throws -> (PostgresStore, [Int64: (String, [Float])]) {
        try await db.execute(
            "CREATE TABLE \(db.sql("docs")) (id bigint PRIMARY KEY, title text, category text, embedding vector(8))")
        try await db.execute(
            """
            INSERT INTO \(db.sql("docs")) SELECT g, 'title ' || g, (ARRAY['a','b','c'])[g % 3 + 1] FROM \
            generate_series(1, 65) g
            """
        )
        let store = try await db.store(source: .table(db.name("docs")), target: target)
        var rows: [Int64: (String, [Float])] = [:]
        for id in Int64(1)...65 {
            rows[id] = (["a", "b", "c"][Int(id % 3)], testVector("title \(id)", dimensions: 8))
        }
        func batch(_ ids: ClosedRange<Int64>, model: ModelIdentity) -> BatchCommit {
            let embedded = ids.map {
                EmbeddedRow(id: .int($0), vector: rows[$0]!.1, contentHash: "h", text: "title \($0)")
            }
            return BatchCommit(
                run: RunRecord(id: "r", startedAt: 0, model: model), model: model, embedded: embedded, failed: [],
                tokens: 0, costUSD: 0, requests: 1)
        }
        try await store.commit(batch(1...60, model: testModel))
        try await store.commit(batch(61...65, model: Self.otherModel))
        return (store, rows)
    }

    /// Brute-force cosine similarity in Double over the rows stored with ``testModel``.
    func bruteForce(_ query: [Float], _ rows: [Int64: (String, [Float])], category: String? = nil) -> [(Int64, Double)]
    {
        func cosine(_ a: [Float], _ b: [Float]) -> Double {
            var dot = 0.0
            var na = 0.0
            var nb = 0.0
            for (x, y) in zip(a, b) {
                dot += Double(x) * Double(y)
                na += Double(x) * Double(x)
                nb += Double(y) * Double(y)
            }
            return dot / (na.squareRoot() * nb.squareRoot())
        }
        return rows.filter { $0.key <= 60 && (category == nil || $0.value.0 == category) }
            .map { ($0.key, cosine(query, $0.value.1)) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    @Test(
        "returns the brute-force cosine order and scores, only for the query's model",
        arguments: [TargetSpec.table(nil), .column("embedding")])
    func matchesBruteForce(target: TargetSpec) async throws {
        try await TestDatabase.with { db in
            let (store, rows) = try await makeStore(db, target: target)
            let query = testVector("a query", dimensions: 8)
            let hits = try await store.search(
                query: query, model: testModel, k: 10, minScore: nil, filter: nil, fields: ["title"])
            let expected = bruteForce(query, rows).prefix(10)
            #expect(hits.map(\.id) == expected.map { .int($0.0) })
            for (hit, reference) in zip(hits, expected) { #expect(abs(hit.score - reference.1) < 1e-5) }
            #expect(hits.first?.values["title"] == "title \(expected.first?.0 ?? 0)")
            #expect(try await store.storedModels() == [testModel.storageKey: 60, Self.otherModel.storageKey: 5])
        }
    }

    @Test("honours minScore and a --where filter on the source's own columns")
    func minScoreAndFilter() async throws {
        try await TestDatabase.with { db in
            let (store, rows) = try await makeStore(db)
            let query = testVector("another query", dimensions: 8)
            let reference = bruteForce(query, rows)
            let threshold = reference[6].1
            let above = try await store.search(
                query: query, model: testModel, k: 50, minScore: threshold, filter: nil, fields: [])
            #expect(above.map(\.id) == reference.filter { $0.1 >= threshold }.map { .int($0.0) })

            let filtered = try await store.search(
                query: query, model: testModel, k: 5, minScore: nil, filter: "category = 'b' AND id > 3",
                fields: ["category"])
            let expected = bruteForce(query, rows, category: "b").filter { $0.0 > 3 }.prefix(5)
            #expect(filtered.map(\.id) == expected.map { .int($0.0) })
            #expect(filtered.allSatisfy { $0.values["category"] == "b" })
        }
    }

    @Test("runs the filter read-only, so a filter that writes is refused")
    func filterIsReadOnly() async throws {
        try await TestDatabase.with { db in
            let (store, _) = try await makeStore(db)
            try await db.execute("CREATE SEQUENCE \(db.sql("counter"))")
            let filter = "nextval('\(db.schema).counter') > 0"
            await #expect(throws: EmbedSyncError.self) {
                _ = try await store.search(
                    query: testVector("q", dimensions: 8), model: testModel, k: 3, minScore: nil,
                    filter: SearchFilter(sql: filter),
                    fields: [])
            }
        }
    }

    @Test("creates and drops an HNSW cosine index")
    func hnswIndex() async throws {
        try await TestDatabase.with { db in
            let (store, _) = try await makeStore(db)
            try await store.createIndex()
            try await store.createIndex()
            let lookup = PostgresQuery(
                unsafeSQL:
                    """
                    SELECT indexdef FROM pg_indexes WHERE schemaname = '\(db.schema)' AND indexname = \
                    'docs_embeddings_embedding_hnsw'
                    """
            )
            var found = try await db.query(lookup)
            let indexDefinition = try found.first?.decode(String.self) ?? ""
            #expect(indexDefinition.contains("USING hnsw (embedding"))
            #expect(indexDefinition.contains("vector_cosine_ops"))
            try await store.dropIndex()
            found = try await db.query(lookup)
            #expect(found.isEmpty)
        }
    }
}
