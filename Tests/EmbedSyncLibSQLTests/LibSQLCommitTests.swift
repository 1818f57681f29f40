import EmbedSyncCore
import Foundation
import Testing

@testable import EmbedSyncLibSQL

/// How a commit reaches sqld: one HTTP request, with the hash re-check and failure counting decided by the SQL.
@Suite("LibSQLStore commits each batch in one request", .enabled(if: LibSQLTestServer.shouldRun))
struct LibSQLCommitTests {
    static let model = ModelIdentity(provider: "test", model: "m", dimensions: 4)

    /// `docs_…` with a field of each storage class; `note` compares case-blind, `r` holds REALs (9e999 is +inf).
    static func withFixture(_ body: (String, HranaClient, LibSQLStore) async throws -> Void) async throws {
        let table = LibSQLTestServer.uniqueName("docs")
        let admin = try LibSQLTestServer.client()
        _ = try await admin.batch(
            [
                HranaStatement(
                    "CREATE TABLE \(table) (id INTEGER PRIMARY KEY, title TEXT, n INTEGER, r REAL, b BLOB, "
                        + "note TEXT COLLATE NOCASE)")
            ] + rows.map { HranaStatement("INSERT INTO \(table) VALUES \($0)") })
        let drop = [
            HranaStatement("DROP TABLE IF EXISTS \(table)"), HranaStatement("DROP TABLE IF EXISTS \(table)_embeddings"),
        ]
        do {
            try await body(table, admin, try await LibSQLTestServer.store(source: .table(table)))
        } catch {
            _ = try? await admin.batch(drop)
            throw error
        }
        _ = try? await admin.batch(drop)
    }

    static let rows = [
        "(1, 'alpha', 7, 0.1, x'68656c6c6f', 'Same')", "(2, 'beta', -3, 1e300, NULL, NULL)",
        "(3, 'gamma', 1, 2.5, x'68656c6c6f', 'x')", "(4, 'delta', 2, 2.0, NULL, 'y')",
        "(5, 'eps', 0, 0.5, NULL, NULL)", "(6, 'zeta', 5, 9e999, NULL, 'inf')",
    ]

    static func classifier() throws -> RowClassifier {
        RowClassifier(
            template: try TextTemplate("{{title}} {{n}} {{r}} {{b}} {{note}}"), model: model, selection: Selection())
    }

    static func batch(_ planned: [PlannedRow], run: String, keepValues: Bool = true) throws -> BatchCommit {
        var commit = BatchCommit(
            run: RunRecord(id: run, startedAt: 1_000, model: model), model: model,
            embedded: planned.map {
                EmbeddedRow(
                    id: $0.id, vector: [1, 0, 0, 0], contentHash: $0.contentHash, text: $0.text,
                    sourceValues: keepValues ? $0.values : nil)
            }, failed: [], tokens: 1, costUSD: 0, requests: 1)
        commit.classifier = try classifier()
        return commit
    }

    static func planned(_ store: LibSQLStore) async throws -> [PlannedRow] {
        let classifier = try classifier()
        return try await store.scan(after: nil, limit: 100, fields: classifier.template.fields).map(classifier.classify)
    }

    static func states(_ store: LibSQLStore) async throws -> [RowID: RowState] {
        Dictionary(uniqueKeysWithValues: try await planned(store).map { ($0.id, $0.state) })
    }

    @Test("a commit, the first one creating the tables, is one HTTP request that also releases the claims")
    func oneRequest() async throws {
        try await Self.withFixture { _, admin, store in
            let planned = try await Self.planned(store)
            #expect(try await store.claim(planned.map(\.id), runID: "run-1").count == 6)
            let before = store.client.requestsSent
            try await store.commit(try Self.batch(planned, run: "run-1"))
            #expect(store.client.requestsSent - before == 1)
            #expect(try await Self.states(store).values.allSatisfy { $0 == .upToDate })
            #expect(try await store.lastRun()?.embedded == 6)
            let claims = try await admin.execute(
                HranaStatement(
                    "SELECT count(*) FROM embedsync_claims WHERE run_id = 'run-1' AND target = ?",
                    [.text(store.targetTable)]))
            #expect(claims.rows.first?.first?.int == 0)
            // A second batch of the same rows: still one request.
            let rescanned = try await Self.planned(store)
            let again = store.client.requestsSent
            try await store.commit(try Self.batch(rescanned, run: "run-2"))
            #expect(store.client.requestsSent - again == 1)
        }
    }

    @Test(
        "a row edited between scan and commit is not stored, field by field as the scan read it",
        arguments: [true, false])
    func editedInFlight(keepValues: Bool) async throws {
        try await Self.withFixture { table, admin, store in
            let planned = try await Self.planned(store)
            #expect(try await store.claim(planned.map(\.id), runID: "run-1").count == 6)
            _ = try await admin.batch([
                // Changed text, though equal under the column's NOCASE collation: not stored.
                HranaStatement("UPDATE \(table) SET note = 'SAME' WHERE id = 1"),
                // A REAL one ulp away: renders differently, not stored.
                HranaStatement("UPDATE \(table) SET r = 1.0000000000000002e300 WHERE id = 2"),
                // Another storage class with the same text (BLOB 'hello' → TEXT, REAL 2.0 → INTEGER 2): still the
                // same rendered text, so stored.
                HranaStatement("UPDATE \(table) SET b = 'hello' WHERE id = 3"),
                HranaStatement("UPDATE \(table) SET r = 2 WHERE id = 4"),
                // Deleted: not resurrected.
                HranaStatement("DELETE FROM \(table) WHERE id = 5"),
            ])
            let before = store.client.requestsSent
            try await store.commit(try Self.batch(planned, run: "run-1", keepValues: keepValues))
            // Without the scanned fields, the store reads the current ones first: one request more.
            #expect(store.client.requestsSent - before == (keepValues ? 1 : 2))
            let states = try await Self.states(store)
            #expect(
                states == [
                    .int(1): .missing, .int(2): .missing, .int(3): .upToDate, .int(4): .upToDate, .int(6): .upToDate,
                ])
            #expect(try await store.lastRun()?.embedded == 3)
            let stored = try await admin.execute(HranaStatement("SELECT count(*) FROM \(table)_embeddings"))
            #expect(stored.rows.first?.first?.int == 3)
        }
    }

    @Test("failed runs are counted in SQL exactly as FailureCounting.runs counts them")
    func failureRule() async throws {
        try await Self.withFixture { _, admin, store in
            try await store.commit(try Self.batch([], run: "setup"))
            let previous: [(runs: Int, contentHash: String?, lastRun: String?)?] = [
                nil, (2, "h", "old"), (2, "h", "now"), (2, "other", "old"), (2, nil, "old"), (4, "h", nil),
            ]
            for stored in previous {
                var statements = [
                    HranaStatement("DELETE FROM embedsync_failures WHERE target = ?", [.text(store.targetTable)])
                ]
                if let stored {
                    statements.append(
                        HranaStatement(
                            "INSERT INTO embedsync_failures (target, row_id, content_hash, error_class, message, "
                                + "attempts, runs, last_run, updated_at) VALUES (?, 1, ?, 'e', 'm', 1, ?, ?, 0)",
                            [
                                .text(store.targetTable), stored.contentHash.map { .text($0) } ?? .null,
                                .integer(Int64(stored.runs)), stored.lastRun.map { .text($0) } ?? .null,
                            ]))
                }
                _ = try await admin.batch(statements)
                var commit = try Self.batch([], run: "now")
                commit.failed = [
                    FailedRow(id: .int(1), contentHash: "h", errorClass: "rejected", message: "no", attempts: 1)
                ]
                try await store.commit(commit)
                let runs = try await store.failures(limit: 10).first { $0.id == .int(1) }?.runs
                #expect(
                    runs == FailureCounting.runs(previous: stored, contentHash: "h", runID: "now"),
                    "previous \(String(describing: stored))")
            }
        }
    }

    @Test("column mode: vectors go to the source's column and the side table, only for rows unchanged since the scan")
    func columnMode() async throws {
        let table = LibSQLTestServer.uniqueName("docs")
        let admin = try LibSQLTestServer.client()
        _ = try await admin.batch(
            [
                HranaStatement(
                    "CREATE TABLE \(table) (id INTEGER PRIMARY KEY, title TEXT, n INTEGER, r REAL, b BLOB, "
                        + "note TEXT COLLATE NOCASE, embedding F32_BLOB(4))")
            ] + Self.rows.map { HranaStatement("INSERT INTO \(table) (id, title, n, r, b, note) VALUES \($0)") })
        let store = try await LibSQLTestServer.store(source: .table(table), target: .column("embedding"))
        let planned = try await Self.planned(store)
        _ = try await admin.batch([HranaStatement("UPDATE \(table) SET title = 'alpha, edited' WHERE id = 1")])
        try await store.commit(try Self.batch(planned, run: "run-1"))
        let vectors = try await admin.execute(
            HranaStatement("SELECT id FROM \(table) WHERE length(embedding) = 16 ORDER BY id"))
        #expect(vectors.rows.compactMap { $0.first?.int } == [2, 3, 4, 5, 6])
        let side = try await admin.execute(HranaStatement("SELECT id FROM \(store.targetTable) ORDER BY id"))
        #expect(side.rows.compactMap { $0.first?.int } == [2, 3, 4, 5, 6])
        #expect(try await store.lastRun()?.embedded == 5)
        _ = try? await admin.batch([
            HranaStatement("DROP TABLE IF EXISTS \(table)"),
            HranaStatement("DROP TABLE IF EXISTS \(store.targetTable)"),
        ])
    }
}
