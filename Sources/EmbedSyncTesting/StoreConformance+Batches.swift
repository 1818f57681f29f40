import EmbedSyncCore

extension StoreConformance {
    /// Batch API bookkeeping (stores that keep it): a row is in at most one pending batch, across workers; a batch is
    /// applied once, to rows that did not change; reset forgets pending batches.
    @Sendable static func batchBookkeeping(_ fixture: Fixture, _ harness: Harness) async throws {
        guard let store = fixture.store as? any BatchTrackingStore,
            let other = try await fixture.openAnother() as? any BatchTrackingStore
        else { return }
        try expect(try await store.pendingBatches().isEmpty, "no pending batch at first")
        let requests = [
            BatchRequestRecord(customID: "r1", line: 1, rowID: .int(1), contentHash: "h1"),
            BatchRequestRecord(customID: "r2", line: 2, rowID: .int(2), contentHash: "h2"),
        ]
        let first = PendingBatch(fileID: "file-a", model: "m", createdAt: 1, requests: 2, tokens: 10)
        try await store.recordBatch(first, requests: requests)
        try expect(
            try await store.pendingRows([.int(1), .int(2), .int(3)]) == [.int(1), .int(2)], "rows 1, 2 pending")
        try expect(try await store.batchRequests(fileID: "file-a") == requests, "requests read back in line order")

        let clash = PendingBatch(fileID: "file-b", model: "m", createdAt: 2, requests: 2, tokens: 10)
        var refused = false
        do {
            try await other.recordBatch(
                clash,
                requests: [
                    BatchRequestRecord(customID: "r1", line: 1, rowID: .int(3), contentHash: "h3"),
                    BatchRequestRecord(customID: "r2", line: 2, rowID: .int(2), contentHash: "h2"),
                ])
        } catch {
            refused = true
        }
        try expect(refused, "a second worker cannot record a row that is already pending")
        try expect(try await store.pendingRows([.int(3)]).isEmpty, "the refused batch recorded nothing")
        try expect(try await store.pendingBatches().map(\.fileID) == ["file-a"], "only the first batch is pending")

        var updated = first
        updated.batchID = "batch-1"
        updated.status = .inProgress
        updated.completed = 1
        try await store.updateBatch(updated)
        try expect(try await other.pendingBatches() == [updated], "id, status and counts are stored")
        try await store.removeBatch(fileID: "file-a")
        try expect(try await store.pendingRows([.int(1), .int(2)]).isEmpty, "a removed batch frees its rows")

        // The whole flow: submit, then collect; a row edited while pending is sent again, not stored from the batch.
        let service = ScriptedBatchService(dimensions: StoreConformance.model.dimensions)
        let runner = BatchRunner(store: store, service: service, configuration: RunConfiguration(template: template))
        let submitted = try await runner.run()
        try expect(submitted.batch?.submittedRows == 3 && submitted.embedded == 0, "three rows submitted: \(submitted)")
        try await fixture.setTitle(2, "beta edited meanwhile")
        let collected = try await runner.run()
        try expect(
            collected.embedded == 2 && collected.batch?.staleOnArrival == 1 && collected.batch?.submittedRows == 1,
            "two rows applied, the edited one sent again: \(collected)")
        let last = try await runner.run()
        try expect(last.embedded == 1 && last.batch?.pendingBatches == 0, "the edited row is applied: \(last)")
        try expect(
            try await states(store, model: service.identity) == [1: .upToDate, 2: .upToDate, 3: .upToDate],
            "every row fresh")
        try expect(service.submitted.values.allSatisfy { $0 == 1 }, "no text submitted twice: \(service.submitted)")

        try await store.recordBatch(first, requests: requests)
        try await store.reset()
        try expect(try await store.pendingBatches().isEmpty, "reset forgets pending batches")
    }
}
