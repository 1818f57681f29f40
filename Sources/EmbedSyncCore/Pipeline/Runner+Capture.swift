import Foundation

extension Runner {
    /// How this run reads rows when the store captures changes: only the changed rows, or every row (a full check) when
    /// the last full check is too old, was made with another template or model, or no run is on record (`reset`),
    /// or the user asked for one. `nil`
    /// without change capture, or for `--ids`.
    func capturePlan(classifier: RowClassifier) async throws -> CapturePlan? {
        guard configuration.selection.ids == nil, let capturing = store as? any ChangeCapturingStore,
            let state = try await capturing.changeCapture()
        else { return nil }
        let check = FullCheck(fingerprint: classifier.fullCheckFingerprint, startedAt: unixTime())
        let recent =
            state.fullCheck.map {
                $0.fingerprint == check.fingerprint
                    && check.startedAt - $0.startedAt < configuration.fullCheckEverySeconds
            } ?? false
        let selection = configuration.selection
        // No run on record (a target never filled, or `reset` since): every row may be missing.
        let filled = try await store.lastRun() != nil
        if recent, filled, !state.everything, !configuration.fullCheck, !selection.force, !selection.retryFailed,
            state.pending <= configuration.maxCapturedChanges
        {
            return .changes(upTo: state.latest)
        }
        return .fullCheck(upTo: state.latest, check)
    }

    /// After a completed run: prunes the vectors of deleted rows (of the changed ones only, when only those were
    /// read) and marks the captured entries handled, putting back the rows that failed. Returns how many were pruned.
    func finishCapture(
        _ plan: CapturePlan?, deleted: [RowID], failedIDs: [RowID], run: RunRecord
    ) async throws -> Int {
        guard let plan, let capturing = store as? any ChangeCapturingStore else {
            return try await store.pruneOrphans(run: run)
        }
        switch plan {
        case .changes(let upTo):
            let pruned = try await capturing.pruneOrphans(ids: deleted, run: run)
            try await capturing.consumeChanges(upTo: upTo, requeue: failedIDs, fullCheck: nil)
            return pruned
        case .fullCheck(let upTo, let check):
            let pruned = try await store.pruneOrphans(run: run)
            try await capturing.consumeChanges(upTo: upTo, requeue: failedIDs, fullCheck: check)
            return pruned
        }
    }
}

/// Reads the rows a run looks at: every row (``RowStream``), or with change capture, only the captured ones.
struct RowReader: Sendable {
    let stream: RowStream
    let plan: CapturePlan?

    /// Calls `body` with each page of rows until they are exhausted or `body` returns `false`. Returns the captured ids
    /// whose row is gone (deleted since it was captured).
    /// `wrappingAfter`: start after this row and wrap around (``RowStream/forEachPage(wrappingAfter:_:)``).
    @discardableResult
    func forEachPage(
        wrappingAfter start: RowID? = nil, _ body: ([ScannedRow]) async throws -> Bool
    ) async throws -> [RowID] {
        guard case .changes(let upTo) = plan, let capturing = stream.store as? any ChangeCapturingStore else {
            try await stream.forEachPage(wrappingAfter: start, body)
            return []
        }
        var after: Int64 = 0
        var seen: Set<RowID> = []
        var deleted: [RowID] = []
        while true {
            let changes = try await capturing.capturedChanges(after: after, upTo: upTo, limit: stream.pageSize)
            guard let last = changes.last else { return deleted }
            after = last.sequence
            let ids = changes.compactMap(\.id).filter { seen.insert($0).inserted }
            let rows = try await capturing.rows(ids: ids, fields: stream.fields)
            let found = Set(rows.map(\.id))
            deleted += ids.filter { !found.contains($0) }
            guard try await body(rows) else { return deleted }
        }
    }
}
