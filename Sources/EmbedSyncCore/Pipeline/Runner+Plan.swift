extension Runner {
    /// The planning pass: how many rows the work pass will embed, for the progress bar and ETA, and the rows skipped
    /// (empty, or failed three times). When it finds nothing to embed (a keep-fresh run over an unchanged table) the
    /// work pass is skipped: one scan instead of two. Rows read although fresh (a store that skips fresh rows had no
    /// fingerprint for them yet) get one, so later scans skip them.
    /// - Returns: the rows to embed, the captured ids whose row is gone (change capture), and where the work pass
    /// starts: after the last row of a page chosen at random when workers share the table (`nil`: from the first).
    func planningPass(
        _ stream: RowReader, classifier: RowClassifier, skippingFresh: FreshnessKey?, summary: inout RunSummary
    ) async throws -> (selected: Int, deleted: [RowID], start: RowID?) {
        var selected = 0
        var pageEnds: [RowID] = []
        var skippedEmpty = 0
        var skippedFailed = 0
        let deleted = try await stream.forEachPage { page in
            var fresh: [FreshRow] = []
            let selectedBefore = selected
            for row in page {
                let planned = classifier.classify(row)
                if planned.state == .upToDate, let fingerprint = row.sourceFingerprint {
                    fresh.append(FreshRow(id: row.id, contentHash: planned.contentHash, fingerprint: fingerprint))
                }
                if planned.selected {
                    selected += 1
                    continue
                }
                if planned.state == .empty, configuration.selection.ids?.contains(row.id) ?? true {
                    skippedEmpty += 1
                }
                if planned.skippedAsFailed { skippedFailed += 1 }
            }
            if store.sharing == .shared, selected > selectedBefore, let last = page.last { pageEnds.append(last.id) }
            if let skippingFresh, !fresh.isEmpty, let filtering = store as? any FreshnessFilteringStore {
                try await filtering.markFresh(fresh, key: skippingFresh)
            }
            return true
        }
        summary.skippedEmpty += skippedEmpty
        summary.skippedFailed += skippedFailed
        let start = pageEnds.isEmpty ? nil : pageEnds[min(pageEnds.count - 1, Int(jitter() * Double(pageEnds.count)))]
        return (selected, deleted, start)
    }
}
