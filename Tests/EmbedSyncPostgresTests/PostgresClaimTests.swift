import EmbedSyncCore
import Foundation
import PostgresNIO
import Testing

@testable import EmbedSyncPostgres

/// An embedder that returns ``testVector(_:dimensions:)`` for each text and logs every text it was sent.
struct HashEmbedder: Embedder {
    let identity = testModel
    let limits = ProviderLimits(
        maxInputs: 16, maxTokensPerInput: 8192, maxTokensPerRequest: 300_000, defaultBatchSize: 10)
    let tokenCounter: any TokenCounter = ApproximateTokenCounter(reason: "test")
    let log: CallLog
    var delay: Duration = .milliseconds(20)
    var failure: ProviderError?

    func embed(_ texts: [String]) async throws -> EmbeddingResponse {
        if let failure { throw failure }
        await log.record(texts)
        try await Task.sleep(for: delay)
        return EmbeddingResponse(
            vectors: texts.map { testVector($0, dimensions: identity.dimensions) }, billedTokens: texts.count)
    }
}

actor CallLog {
    private(set) var counts: [String: Int] = [:]
    func record(_ texts: [String]) { for text in texts { counts[text, default: 0] += 1 } }
}

@Suite("PostgresStore claims", .enabled(if: PostgresTestEnvironment.shouldRun))
struct PostgresClaimTests {
    func makeDocs(_ db: TestDatabase, rows: Int) async throws {
        try await db.execute("CREATE TABLE \(db.sql("docs")) (id bigint PRIMARY KEY, title text)")
        try await db.execute(
            "INSERT INTO \(db.sql("docs")) SELECT g, 'document number ' || g FROM generate_series(1, \(rows)) g")
    }

    @Test("two workers claiming the same rows at once never both get one")
    func concurrentClaimsAreDisjoint() async throws {
        try await TestDatabase.with { db in
            try await makeDocs(db, rows: 300)
            let first = try await db.store(source: .table(db.name("docs")))
            let second = try await db.store(source: .table(db.name("docs")))
            let ids = (1...300).map { RowID.int(Int64($0)) }
            for round in 0..<3 {
                let slice = Array(ids[(round * 100)..<((round + 1) * 100)])
                async let a = first.claim(slice, runID: "worker-a")
                async let b = second.claim(slice.reversed(), runID: "worker-b")
                let (claimedA, claimedB) = try await (a, b)
                #expect(claimedA.isDisjoint(with: claimedB))
                #expect(claimedA.union(claimedB) == Set(slice))
            }
            // A worker's own claims are granted again; the other's are not.
            #expect(
                try await first.claim([.int(1), .int(2)], runID: "worker-a").count
                    + (try await second.claim([.int(1), .int(2)], runID: "worker-b").count) == 2)
        }
    }

    @Test("a claim that waited on another worker's first commit sees what it stored (no stale 'no target yet')")
    func claimAfterFirstCommit() async throws {
        try await TestDatabase.with { db in
            try await makeDocs(db, rows: 20)
            let first = try await db.store(source: .table(db.name("docs")))
            let second = try await db.store(source: .table(db.name("docs")))
            // The second worker reads the rows while no target exists, on both connections of its pool, so its
            // backends remember "no such table" (PostgreSQL caches a failed name lookup).
            for _ in 0..<4 {
                async let a = second.scan(after: nil, limit: 100, fields: ["title"])
                async let b = second.scan(after: nil, limit: 100, fields: ["title"])
                _ = try await (a, b)
            }
            let ids = (1...10).map { RowID.int(Int64($0)) }
            #expect(try await first.claim(ids, runID: "first") == Set(ids))
            // The second worker has claimed before (another row): its claims table is set up, as mid-run.
            #expect(try await second.claim([.int(20)], runID: "second") == [.int(20)])
            // The first worker's first commit creates the target, stores the rows and deletes its claims, then
            // waits inside its transaction at a gate (an advisory lock this test holds): not committed yet.
            let claims = db.sql("embedsync_claims")
            try await db.execute(
                """
                CREATE FUNCTION \(db.sql("gate"))() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NULL; END $$
                """)
            try await db.execute(
                "CREATE TRIGGER gate AFTER DELETE ON \(claims) FOR EACH STATEMENT EXECUTE FUNCTION \(db.sql("gate"))()")
            try await db.execute("SELECT pg_advisory_lock(4242)")
            let model = testModel
            let commit = Task {
                try await first.commit(
                    BatchCommit(
                        run: RunRecord(id: "first", startedAt: 0, model: model), model: model,
                        embedded: ids.map {
                            EmbeddedRow(id: $0, vector: testVector("\($0)", dimensions: 8), contentHash: "h", text: "t")
                        },
                        failed: [], tokens: 0, costUSD: 0, requests: 1))
            }
            // Only this test's backends count (their statements name its schema): other tests wait on locks too.
            let mine = "%\(db.schema)%"
            func waiting(_ event: String) async throws -> Int {
                try await db.query(
                    "SELECT count(*)::int FROM pg_stat_activity WHERE wait_event = \(event) AND query LIKE \(mine)"
                ).first?.decode(Int.self) ?? 0
            }
            func waitFor(_ event: String) async throws {
                let deadline = ContinuousClock.now + .seconds(120)
                while try await waiting(event) < 1, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try #require(try await waiting(event) >= 1, "nothing waits on \(event)")
            }
            try await waitFor("advisory")
            // The second worker claims the same rows: its insert waits for the first commit's deleted claims.
            let claim = Task { try await second.claim(ids, runID: "second") }
            try await waitFor("transactionid")
            try await db.execute("SELECT pg_advisory_unlock(4242)")
            try await commit.value
            // The rows are stored now: the second worker must give them back, not embed them again.
            #expect(try await claim.value.isEmpty)
        }
    }

    @Test("a claim whose lease expired (a killed worker) is taken over by another worker")
    func expiredClaimIsTakenOver() async throws {
        try await TestDatabase.with { db in
            try await makeDocs(db, rows: 3)
            // No sleeping on the wall clock: the leases are long, and the dead worker's lease is moved into the past
            // by hand, as time would, so the test holds however loaded the machine is.
            let dead = try await db.store(source: .table(db.name("docs")), claimLease: .seconds(600))
            let live = try await db.store(source: .table(db.name("docs")))
            #expect(try await dead.claim([.int(1), .int(2)], runID: "dead") == [.int(1), .int(2)])
            #expect(try await live.claim([.int(1), .int(2), .int(3)], runID: "live") == [.int(3)])
            let claims = db.sql("embedsync_claims")
            try await db.execute("UPDATE \(claims) SET expires_at = now() - interval '1 second' WHERE run_id = 'dead'")
            #expect(try await live.claim([.int(1), .int(2)], runID: "live") == [.int(1), .int(2)])
            let holders = try await db.query("SELECT DISTINCT run_id FROM \(unescaped: db.sql("embedsync_claims"))").map
            { try $0.decode(String.self) }
            #expect(holders == ["live"])
        }
    }

    @Test("four concurrent runners on one table store every row exactly once and embed no text twice")
    func concurrentRunners() async throws {
        try await TestDatabase.with { db in
            try await makeDocs(db, rows: 400)
            let log = CallLog()
            let template = try TextTemplate("{{title}}")
            var stores: [PostgresStore] = []
            for _ in 0..<4 { stores.append(try await db.store(source: .table(db.name("docs")))) }
            let summaries = try await withThrowingTaskGroup(of: RunSummary.self) { group in
                for store in stores {
                    group.addTask {
                        let configuration = RunConfiguration(
                            template: template, batchSize: 10, concurrency: 2, pageSize: 50)
                        return try await Runner(
                            store: store, embedder: HashEmbedder(log: log), configuration: configuration
                        ).run()
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(summaries.reduce(0) { $0 + $1.embedded } == 400)
            #expect(summaries.allSatisfy { $0.outcome == .completed })
            let counts = await log.counts
            #expect(counts.count == 400)
            #expect(counts.values.allSatisfy { $0 == 1 })
            let stored = try await db.query(
                """
                SELECT t.id, t.embedding::real[], d.title FROM \(unescaped: db.sql("docs_embeddings")) t JOIN \
                \(unescaped: db.sql("docs")) d ON d.id = t.id
                """
            )
            #expect(stored.count == 400)
            for row in stored {
                let (_, vector, title) = try row.decode((Int64, [Float], String).self)
                #expect(vector == testVector(title, dimensions: 8))
            }
            #expect(try await db.count("SELECT count(*) FROM \(db.sql("embedsync_claims"))") == 0)
        }
    }

    @Test("a run that fails at its first provider call leaves the database as it was")
    func failingRunLeavesDatabaseUnchanged() async throws {
        try await TestDatabase.with { db in
            try await makeDocs(db, rows: 20)
            let store = try await db.store(source: .table(db.name("docs")))
            var embedder = HashEmbedder(log: CallLog())
            embedder.failure = ProviderError(.authentication, "bad key")
            let configuration = RunConfiguration(template: try TextTemplate("{{title}}"), batchSize: 10, concurrency: 1)
            await #expect(throws: (any Error).self) {
                _ = try await Runner(store: store, embedder: embedder, configuration: configuration).run()
            }
            #expect(try await db.tables() == ["docs"])
        }
    }
}
