import EmbedSyncCore
import Foundation

extension StoreConformance {
    typealias Fixture = any StoreConformanceFixture
    typealias Harness = any StoreConformanceHarness

    static func classifier(model: ModelIdentity = model, selection: Selection = Selection()) -> RowClassifier {
        RowClassifier(template: template, model: model, selection: selection)
    }

    /// Scans every row and classifies it.
    static func planned(_ store: any EmbeddingStore, model: ModelIdentity = model) async throws -> [RowID: PlannedRow] {
        let rows = try await store.scan(after: nil, limit: 1000, fields: template.fields)
        let classifier = classifier(model: model)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, classifier.classify($0)) })
    }

    /// A batch storing `vectors` (default: a unit vector per row) for these planned rows.
    static func batch(
        _ rows: [PlannedRow], run: String = "run-1", vectors: [RowID: [Float]] = [:], failed: [FailedRow] = [],
        recheck: Bool = false
    ) -> BatchCommit {
        let embedded = rows.map { row in
            EmbeddedRow(
                id: row.id, vector: vectors[row.id] ?? unit(row.id), contentHash: row.contentHash, text: row.text,
                sourceValues: row.values)
        }
        var commit = BatchCommit(
            run: RunRecord(id: run, startedAt: 1_000, model: model), model: model, embedded: embedded, failed: failed,
            tokens: 7,
            costUSD: 0.5, requests: 1)
        if recheck { commit.classifier = classifier() }
        return commit
    }

    static func unit(_ id: RowID) -> [Float] {
        guard case .int(let number) = id else { return [1, 0, 0, 0] }
        var vector: [Float] = [0, 0, 0, 0]
        vector[Int(number) % 4] = 1
        return vector
    }

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ConformanceFailure(description: message()) }
    }

    static func states(_ store: any EmbeddingStore, model: ModelIdentity = model) async throws -> [Int64: RowState] {
        var result: [Int64: RowState] = [:]
        for (id, row) in try await planned(store, model: model) {
            if case .int(let number) = id { result[number] = row.state }
        }
        return result
    }

    @Sendable static func staleness(_ fixture: Fixture, _ harness: Harness) async throws {
        let store = fixture.store
        try await expect(
            states(store) == [1: .missing, 2: .missing, 3: .missing], "a fresh target has every row missing")
        let rows = try await planned(store)
        try await store.commit(batch([rows[.int(1)], rows[.int(2)]].compactMap { $0 }))
        try await expect(states(store) == [1: .upToDate, 2: .upToDate, 3: .missing], "stored rows are up to date")
        try await fixture.setTitle(2, "beta, edited")
        try await expect(states(store) == [1: .upToDate, 2: .stale, 3: .missing], "an edited row is stale")
        let other = ModelIdentity(provider: "test", model: "other", dimensions: 4)
        try await expect(
            states(store, model: other) == [1: .stale, 2: .stale, 3: .missing], "another model makes rows stale")
    }

    @Sendable static func scanning(_ fixture: Fixture, _ harness: Harness) async throws {
        let store = fixture.store
        try await fixture.setTitle(10, "delta dates")
        let first = try await store.scan(after: nil, limit: 2, fields: ["title"])
        try expect(first.map(\.id) == [.int(1), .int(2)], "the first page is ids 1, 2 (got \(first.map(\.id)))")
        try expect(first[0].values["title"] == "alpha apples", "a scan returns the template fields")
        let second = try await store.scan(after: .int(2), limit: 2, fields: ["title"])
        try expect(
            second.map(\.id) == [.int(3), .int(10)], "the next page starts after the last id (got \(second.map(\.id)))")
        let third = try await store.scan(after: .int(10), limit: 2, fields: ["title"])
        try expect(third.isEmpty, "nothing after the last id")
        let byID = try await store.rows(ids: [.int(3), .int(1), .int(99)], fields: ["title"])
        try expect(
            byID.map(\.id) == [.int(1), .int(3)],
            "rows(ids:) returns the existing rows in id order (got \(byID.map(\.id)))")
    }

    @Sendable static func pruning(_ fixture: Fixture, _ harness: Harness) async throws {
        let store = fixture.store
        try await store.commit(batch(Array(try await planned(store).values)))
        try await fixture.deleteRow(2)
        try await expect(try await store.countOrphans() == 1, "one vector has lost its row")
        let run = RunRecord(id: "run-2", startedAt: 2_000, model: model)
        try await expect(try await store.pruneOrphans(run: run) == 1, "pruning deletes that vector")
        try await expect(try await store.countOrphans() == 0, "no orphans after pruning")
        try await expect(states(store) == [1: .upToDate, 3: .upToDate], "the other rows keep their vectors")
    }

    @Sendable static func atomicity(_ fixture: Fixture, _ harness: Harness) async throws {
        let store = fixture.store
        let rows = try await planned(store)
        let bad = batch([rows[.int(1)], rows[.int(2)]].compactMap { $0 }, vectors: [.int(2): [1, 0, 0]])
        var threw = false
        do { try await store.commit(bad) } catch { threw = true }
        try expect(threw, "a vector of the wrong length is refused")
        try await expect(
            states(store) == [1: .missing, 2: .missing, 3: .missing], "nothing of the refused batch is stored")
        try await expect(try await store.lastRun() == nil, "no run is recorded by a refused batch")
    }

    @Sendable static func hashRecheck(_ fixture: Fixture, _ harness: Harness) async throws {
        let store = fixture.store
        let rows = try await planned(store)
        try await fixture.setTitle(1, "alpha, edited while in flight")
        try await fixture.deleteRow(3)
        try await store.commit(batch(Array(rows.values), recheck: true))
        try await expect(states(store) == [1: .missing, 2: .upToDate], "only the unchanged row is stored")
        try await expect(try await store.countOrphans() == 0, "a row deleted while in flight is not resurrected")
        let run = try await store.lastRun()
        try expect(run?.embedded == 1, "the run counts the stored row only (got \(run?.embedded ?? -1))")
    }

    @Sendable static func failureCounting(_ fixture: Fixture, _ harness: Harness) async throws {
        let store = fixture.store
        let rows = try await planned(store)
        guard let row = rows[.int(1)] else { throw ConformanceFailure(description: "row 1 is missing from the scan") }
        func fail(_ run: String, hash: String) async throws -> Int {
            let failure = FailedRow(id: row.id, contentHash: hash, errorClass: "rejected", message: "no", attempts: 2)
            try await store.commit(batch([], run: run, failed: [failure]))
            return try await store.failures(limit: 10).first { $0.id == row.id }?.runs ?? -1
        }
        try await expect(try await fail("run-a", hash: row.contentHash) == 1, "a first failure counts one run")
        try await expect(
            try await fail("run-a", hash: row.contentHash) == 1, "a second failure in the same run counts no more")
        try await expect(try await fail("run-b", hash: row.contentHash) == 2, "a failure in the next run counts two")
        let scanned = try await store.rows(ids: [row.id], fields: ["title"]).first
        try expect(
            scanned?.failure == FailureState(runs: 2, contentHash: row.contentHash), "a scan reports the failure state")
        try await expect(try await fail("run-c", hash: "changed") == 1, "a failure of another text starts again at one")
        let attempts = try await store.failures(limit: 10).first?.attempts
        try expect(attempts == 8, "attempts add up over runs (got \(attempts ?? -1))")
        try await store.commit(batch([row], run: "run-d"))
        try await expect(try await store.failures(limit: 10).isEmpty, "a stored vector clears the failure")
        for expected in [1: 1, 2: 2, 3: 3] as [Int: Int] {
            try expect(
                FailureCounting.runs(previous: (expected.key, "h", "old"), contentHash: "h", runID: "new") == expected
                    .value + 1,
                "the shared rule counts one more run")
        }
    }

    @Sendable static func claims(_ fixture: Fixture, _ harness: Harness) async throws {
        let first = fixture.store
        let second = try await fixture.openAnother()
        let ids: [RowID] = [.int(1), .int(2), .int(3)]
        switch first.sharing {
        case .shared:
            try await expect(
                try await first.claim([.int(1), .int(2)], runID: "worker-a") == [.int(1), .int(2)],
                "free rows are granted")
            try await expect(
                try await second.claim(ids, runID: "worker-b") == [.int(3)], "rows another worker holds are not granted"
            )
            try await expect(
                try await first.claim([.int(1)], runID: "worker-a") == [.int(1)],
                "a worker's own claim is granted again")
            await first.releaseClaims([.int(1)], runID: "worker-a")
            try await expect(
                try await second.claim([.int(1)], runID: "worker-b") == [.int(1)], "a released row can be claimed")
        case .exclusive:
            try await expect(
                try await first.claim(ids, runID: "worker-a") == Set(ids), "an exclusive store grants every row")
            try await expect(try await first.acquireRunGuard(wait: false), "the first run takes the guard")
            try await expect(try await second.acquireRunGuard(wait: false) == false, "a second run cannot take it")
            await first.releaseRunGuard()
            try await expect(try await second.acquireRunGuard(wait: false), "the guard is free once released")
            await second.releaseRunGuard()
        }
    }

    @Sendable static func searching(_ fixture: Fixture, _ harness: Harness) async throws {
        let store = fixture.store
        let rows = try await planned(store)
        let vectors: [RowID: [Float]] = [.int(1): [1, 0, 0, 0], .int(2): [0, 1, 0, 0], .int(3): [0.8, 0.6, 0, 0]]
        try await store.commit(batch(Array(rows.values), vectors: vectors))
        let hits = try await store.search(
            query: [2, 0, 0, 0], model: model, k: 10, minScore: nil, filter: nil, fields: ["title"])
        try expect(hits.map(\.id) == [.int(1), .int(3), .int(2)], "best first (got \(hits.map(\.id)))")
        try expect(abs(hits[1].score - 0.8) < 1e-5, "scores are cosine similarities (got \(hits[1].score))")
        let sourceRows = try await store.rows(ids: [hits[0].id], fields: ["title"])
        try expect(sourceRows.first?.values["title"] == "alpha apples", "the hits' source rows are read back by id")
        let top = try await store.search(
            query: [1, 0, 0, 0], model: model, k: 2, minScore: nil, filter: nil, fields: [])
        try expect(top.count == 2, "k bounds the results")
        let close = try await store.search(
            query: [1, 0, 0, 0], model: model, k: 10, minScore: 0.5, filter: nil, fields: [])
        try expect(close.map(\.id) == [.int(1), .int(3)], "min score drops the rest (got \(close.map(\.id)))")
        let other = ModelIdentity(provider: "test", model: "other", dimensions: 4)
        let none = try await store.search(
            query: [1, 0, 0, 0], model: other, k: 10, minScore: nil, filter: nil, fields: [])
        try expect(none.isEmpty, "vectors of another model are never compared")
        try await expect(try await store.storedModels() == [model.storageKey: 3], "stored models are counted")
    }

    @Sendable static func filtering(_ fixture: Fixture, _ harness: Harness) async throws {
        guard harness.supportsSQLFilter else { return }
        let store = fixture.store
        try await store.commit(batch(Array(try await planned(store).values)))
        let hits = try await store.search(
            query: [1, 1, 1, 1], model: model, k: 10, minScore: nil, filter: "title LIKE 'b%'", fields: [])
        try expect(hits.map(\.id) == [.int(2)], "only rows matching the filter (got \(hits.map(\.id)))")
        // A bound value is compared as a value, never read as SQL, whatever it contains.
        let title = try await store.rows(ids: [.int(3)], fields: ["title"]).first?.values["title"] ?? nil
        let bound = SearchFilter(parts: [.sql("title = "), .value(.text(title ?? ""))])
        let matched = try await store.search(
            query: [1, 1, 1, 1], model: model, k: 10, minScore: nil, filter: bound, fields: [])
        try expect(matched.map(\.id) == [.int(3)], "a bound text value matches its row (got \(matched.map(\.id)))")
        let injection = SearchFilter(parts: [.sql("title = "), .value(.text("x' OR '1'='1"))])
        let none = try await store.search(
            query: [1, 1, 1, 1], model: model, k: 10, minScore: nil, filter: injection, fields: [])
        try expect(none.isEmpty, "a value with SQL in it matches nothing (got \(none.map(\.id)))")
    }

    @Sendable static func runsAndReset(_ fixture: Fixture, _ harness: Harness) async throws {
        let store = fixture.store
        let rows = try await planned(store)
        let failure = FailedRow(id: .int(3), contentHash: "h", errorClass: "rejected", message: "no", attempts: 1)
        try await store.commit(batch([rows[.int(1)], rows[.int(2)]].compactMap { $0 }, failed: [failure]))
        var run = RunRecord(id: "run-1", startedAt: 1_000, model: model)
        run.finishedAt = 1_010
        run.status = "completed"
        run.embedded = 2
        run.failed = 1
        run.tokens = 7
        try await store.finishRun(run)
        let last = try await store.lastRun()
        try expect(
            last?.status == "completed" && last?.embedded == 2 && last?.tokens == 7, "the run is recorded as finished")
        try await store.reset()
        try await expect(states(store) == [1: .missing, 2: .missing, 3: .missing], "reset removes every vector")
        try await expect(try await store.failures(limit: 10).isEmpty, "reset removes failures")
        try await expect(try await store.lastRun() == nil, "reset removes runs")
    }
}
