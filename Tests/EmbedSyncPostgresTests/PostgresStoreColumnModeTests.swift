import EmbedSyncCore
import PostgresNIO
import Testing

@testable import EmbedSyncPostgres

@Suite("PostgresStore in column mode", .enabled(if: PostgresTestEnvironment.shouldRun))
struct PostgresStoreColumnModeTests {
    let template = try! TextTemplate("{{title}}\n{{body}}")

    func createPages(_ db: TestDatabase, dimensions: Int = 8) async throws {
        try await db.execute(
            """
            CREATE TABLE \(db.sql("pages")) (id bigserial PRIMARY KEY, title text, body text, embedding \
            vector(\(dimensions)))
            """
        )
        try await db.execute(
            """
            INSERT INTO \(db.sql("pages")) (title, body) VALUES ('Intro', 'Hello'), ('Setup', 'Install it'), \
            ('Empty', NULL)
            """
        )
    }

    @Test("writes vectors into a Supabase-like pages.embedding column, bookkeeping in pages_embedsync")
    func supabasePages() async throws {
        try await TestDatabase.with { db in
            try await createPages(db)
            let store = try await db.store(source: .table(db.name("pages")), target: .column("embedding"))
            try await store.validateTarget(model: testModel)
            let schema = try await store.sourceSchema()
            #expect(schema.idColumn == "id")
            #expect(
                TextTemplate.defaultTemplate(for: schema)
                    == "{{#title}}title: {{title}}{{/title}}\n{{#body}}body: {{body}}{{/body}}")

            let classifier = RowClassifier(template: template, model: testModel, selection: Selection())
            let scanned = try await store.scan(after: nil, limit: 10, fields: template.fields)
            let rows = scanned.prefix(2).map { row -> EmbeddedRow in
                let text = template.render(row.values)
                return EmbeddedRow(
                    id: row.id, vector: testVector(text, dimensions: 8),
                    contentHash: classifier.contentHash(text: text), text: text)
            }
            var batch = BatchCommit(
                run: RunRecord(id: "r", startedAt: unixTime(), model: testModel), model: testModel, embedded: rows,
                failed: [], tokens: 4, costUSD: 0, requests: 1)
            batch.classifier = classifier
            try await store.commit(batch)

            let stored = try await db.query(
                """
                SELECT id, embedding::real[] FROM \(unescaped: db.sql("pages")) WHERE embedding IS NOT NULL ORDER BY \
                id
                """
            )
            #expect(try stored.map { try $0.decode((Int64, [Float]).self).1 } == rows.map(\.vector))
            #expect(try await db.tables() == ["embedsync_failures", "embedsync_runs", "pages", "pages_embedsync"])
            let rescanned = try await store.scan(after: nil, limit: 10, fields: template.fields)
            #expect(rescanned.map { classifier.classify($0).state } == [.upToDate, .upToDate, .missing])

            // A vector cleared by hand makes its row missing again, whatever the side table says.
            try await db.execute("UPDATE \(db.sql("pages")) SET embedding = NULL WHERE id = 1")
            let afterClear = try await store.scan(after: nil, limit: 1, fields: template.fields)
            #expect(afterClear.first.map { classifier.classify($0).state } == .missing)
            #expect(try await store.storedModels() == [testModel.storageKey: 1])
        }
    }

    @Test("refuses a vector column whose dimension differs from the model's, naming both")
    func dimensionMismatch() async throws {
        try await TestDatabase.with { db in
            try await createPages(db, dimensions: 1536)
            let store = try await db.store(source: .table(db.name("pages")), target: .column("embedding"))
            let error = await #expect(throws: EmbedSyncError.self) { try await store.validateTarget(model: testModel) }
            #expect(error?.message.contains("vector(1536)") == true)
            #expect(error?.message.contains("8-dimensional") == true)
            #expect(try await db.tables() == ["pages"])
        }
    }

    @Test("refuses a column that is not of type vector")
    func notAVectorColumn() async throws {
        try await TestDatabase.with { db in
            try await createPages(db)
            let store = try await db.store(source: .table(db.name("pages")), target: .column("body"))
            let error = await #expect(throws: EmbedSyncError.self) { try await store.validateTarget(model: testModel) }
            #expect(error?.message.contains("not vector") == true)
        }
    }

    @Test("refuses a table-mode target whose vectors have another dimension")
    func tableDimensionMismatch() async throws {
        try await TestDatabase.with { db in
            try await createPages(db)
            try await db.execute(
                """
                CREATE TABLE \(db.sql("pages_embeddings")) (id bigint PRIMARY KEY, embedding vector(384), \
                content_hash text)
                """
            )
            let store = try await db.store(source: .table(db.name("pages")))
            let error = await #expect(throws: EmbedSyncError.self) { try await store.validateTarget(model: testModel) }
            #expect(error?.message.contains("vector(384)") == true)
        }
    }
}
