import EmbedSyncCore
import PostgresNIO
import Testing

@testable import EmbedSyncPostgres

@Suite("PostgresStore in table mode", .enabled(if: PostgresTestEnvironment.shouldRun))
struct PostgresStoreTableModeTests {
    let template = try! TextTemplate("{{title}}")

    func classifier() -> RowClassifier {
        RowClassifier(template: template, model: testModel, selection: Selection())
    }

    func embedded(_ id: Int64, _ text: String) -> EmbeddedRow {
        EmbeddedRow(
            id: .int(id), vector: testVector(text, dimensions: 8), contentHash: classifier().contentHash(text: text),
            text: text)
    }

    func commit(_ store: PostgresStore, run: RunRecord, _ rows: [EmbeddedRow], failed: [FailedRow] = []) async throws {
        var batch = BatchCommit(
            run: run, model: testModel, embedded: rows, failed: failed, tokens: 10, costUSD: 0.5, requests: 1)
        batch.classifier = classifier()
        try await store.commit(batch)
    }

    @Test("stores vectors exactly, marks edited rows stale and prunes deleted rows")
    func roundTrip() async throws {
        try await TestDatabase.with { db in
            try await db.execute("CREATE TABLE \(db.sql("docs")) (id bigint PRIMARY KEY, title text)")
            try await db.execute("INSERT INTO \(db.sql("docs")) VALUES (1, 'alpha'), (2, 'beta'), (3, 'gamma')")
            let store = try await db.store(source: .table(db.name("docs")))
            #expect(try await store.sourceSchema().idColumn == "id")
            try await store.validateTarget(model: testModel)

            let run = RunRecord(id: "run-1", startedAt: unixTime(), model: testModel)
            let rows = [embedded(1, "alpha"), embedded(2, "beta"), embedded(3, "gamma")]
            try await commit(store, run: run, rows)

            let stored = try await db.query(
                "SELECT id, embedding::real[], text FROM \(unescaped: db.sql("docs_embeddings")) ORDER BY id")
            #expect(stored.count == 3)
            for (row, expected) in zip(stored, rows) {
                let (id, vector, text) = try row.decode((Int64, [Float], String?).self)
                #expect(RowID.int(id) == expected.id)
                #expect(vector == expected.vector)
                #expect(text == expected.text)
            }

            var scanned = try await store.scan(after: nil, limit: 10, fields: ["title"])
            #expect(scanned.map(\.id) == [.int(1), .int(2), .int(3)])
            #expect(scanned.allSatisfy { classifier().classify($0).state == .upToDate })

            try await db.execute("UPDATE \(db.sql("docs")) SET title = 'beta 2' WHERE id = 2")
            try await db.execute("DELETE FROM \(db.sql("docs")) WHERE id = 3")
            scanned = try await store.scan(after: .int(1), limit: 10, fields: ["title"])
            #expect(scanned.map(\.id) == [.int(2)])
            #expect(classifier().classify(scanned[0]).state == .stale)

            #expect(try await store.countOrphans() == 1)
            #expect(try await store.pruneOrphans(run: run) == 1)
            #expect(try await db.count("SELECT count(*) FROM \(db.sql("docs_embeddings"))") == 2)

            let last = try #require(try await store.lastRun())
            #expect(last.id == "run-1")
            #expect(last.embedded == 3)
            #expect(last.tokens == 10)
        }
    }

    @Test("does not store a row whose text changed while it was embedded")
    func skipsRowsEditedMeanwhile() async throws {
        try await TestDatabase.with { db in
            try await db.execute("CREATE TABLE \(db.sql("docs")) (id bigint PRIMARY KEY, title text)")
            try await db.execute("INSERT INTO \(db.sql("docs")) VALUES (1, 'alpha'), (2, 'beta edited')")
            let store = try await db.store(source: .table(db.name("docs")))
            let run = RunRecord(id: "run-1", startedAt: unixTime(), model: testModel)
            try await commit(store, run: run, [embedded(1, "alpha"), embedded(2, "beta")])
            let ids = try await db.query("SELECT id FROM \(unescaped: db.sql("docs_embeddings")) ORDER BY id").map {
                try $0.decode(Int64.self)
            }
            #expect(ids == [1])
        }
    }

    @Test("records failures and counts the runs they failed in")
    func failures() async throws {
        try await TestDatabase.with { db in
            try await db.execute("CREATE TABLE \(db.sql("docs")) (id text PRIMARY KEY, title text)")
            try await db.execute("INSERT INTO \(db.sql("docs")) VALUES ('a', 'alpha')")
            let store = try await db.store(source: .table(db.name("docs")))
            let hash = classifier().contentHash(text: "alpha")
            let failure = FailedRow(
                id: .text("a"), contentHash: hash, errorClass: "rejected", message: "too long", attempts: 2)
            for runID in ["r1", "r1", "r2"] {
                try await commit(
                    store, run: RunRecord(id: runID, startedAt: unixTime(), model: testModel), [], failed: [failure])
            }
            let records = try await store.failures(limit: 10)
            #expect(records.count == 1)
            #expect(records.first?.id == .text("a"))
            #expect(records.first?.runs == 2)
            #expect(records.first?.attempts == 6)
            let scanned = try await store.scan(after: nil, limit: 10, fields: ["title"])
            #expect(scanned.first?.failure == FailureState(runs: 2, contentHash: hash))
        }
    }

    @Test("reads rows from a query with a join")
    func querySource() async throws {
        try await TestDatabase.with { db in
            try await db.execute("CREATE TABLE \(db.sql("authors")) (id int PRIMARY KEY, name text)")
            try await db.execute("CREATE TABLE \(db.sql("books")) (id int PRIMARY KEY, author int, title varchar(40))")
            try await db.execute("INSERT INTO \(db.sql("authors")) VALUES (1, 'Le Guin')")
            try await db.execute("INSERT INTO \(db.sql("books")) VALUES (10, 1, 'The Dispossessed'), (11, 1, 'Lathe')")
            let query =
                "SELECT b.id, b.title, a.name FROM \(db.sql("books")) b JOIN \(db.sql("authors")) a ON a.id = b.author"
            let store = try await db.store(source: .query(query), target: .table(db.name("books_vectors")))
            let schema = try await store.sourceSchema()
            #expect(schema.columns.map(\.name) == ["id", "title", "name"])
            #expect(schema.columns.map(\.isTextLike) == [false, true, true])
            let rows = try await store.scan(after: .int(10), limit: 5, fields: ["title", "name"])
            #expect(rows.map(\.id) == [.int(11)])
            #expect(rows.first?.values["name"] == "Le Guin")
            let byID = try await store.rows(ids: [.int(10)], fields: ["title"])
            #expect(byID.first?.values["title"] == "The Dispossessed")
            #expect(try await db.tables() == ["authors", "books"])
        }
    }

    @Test("a second exclusive run guard is refused while the first is held, and granted after release")
    func exclusiveGuard() async throws {
        try await TestDatabase.with { db in
            try await db.execute("CREATE TABLE \(db.sql("docs")) (id bigint PRIMARY KEY, title text)")
            let first = try await db.store(source: .table(db.name("docs")))
            let second = try await db.store(source: .table(db.name("docs")))
            #expect(try await first.acquireRunGuard(wait: false))
            #expect(try await second.acquireRunGuard(wait: false) == false)
            // A plain (shared) run is never blocked: it shares the work through claims.
            #expect(try await second.acquireRunGuard(wait: true))
            await second.releaseRunGuard()
            await first.releaseRunGuard()
            #expect(try await second.acquireRunGuard(wait: false))
            // Now a shared holder exists elsewhere: an exclusive run must be refused.
            await second.releaseRunGuard()
            #expect(try await first.acquireRunGuard(wait: true))
            #expect(try await second.acquireRunGuard(wait: false) == false)
            await first.releaseRunGuard()
        }
    }

    @Test("reset drops the vectors and this target's bookkeeping")
    func reset() async throws {
        try await TestDatabase.with { db in
            try await db.execute("CREATE TABLE \(db.sql("docs")) (id bigint PRIMARY KEY, title text)")
            try await db.execute("INSERT INTO \(db.sql("docs")) VALUES (1, 'alpha')")
            let store = try await db.store(source: .table(db.name("docs")))
            try await commit(
                store, run: RunRecord(id: "r", startedAt: unixTime(), model: testModel), [embedded(1, "alpha")])
            try await store.reset()
            #expect(try await db.tables() == ["docs", "embedsync_failures", "embedsync_runs"])
            #expect(try await store.lastRun() == nil)
            #expect(try await store.scan(after: nil, limit: 5, fields: ["title"]).first?.stored == nil)
        }
    }
}
