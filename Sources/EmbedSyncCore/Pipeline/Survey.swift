/// Counts of rows by state, from one streaming pass over the source. Used by `estimate` and `status`.
public struct SurveyCounts: Sendable {
    public var rowsTotal = 0
    public var selected = 0
    public var missing = 0
    public var stale = 0
    public var upToDate = 0
    public var empty = 0
    /// Rows left out because they failed in too many runs.
    public var skippedFailed = 0
    /// Rows with a failure record whose content has not changed since.
    public var failed = 0

    public init() {}
}

/// One streaming pass over the source that classifies every row.
public struct Survey: Sendable {
    public let store: any EmbeddingStore
    public let classifier: RowClassifier
    public let pageSize: Int

    public init(store: any EmbeddingStore, classifier: RowClassifier, pageSize: Int = 1000) {
        self.store = store
        self.classifier = classifier
        self.pageSize = pageSize
    }

    /// Classifies every row, calling `selectedRow` for each row a run would embed.
    public func run(selectedRow: (PlannedRow) -> Void = { _ in }) async throws -> SurveyCounts {
        var counts = SurveyCounts()
        try classifier.selection.ids?.check(against: try await store.sourceSchema())
        let ids = classifier.selection.ids
        // A store that skips certainly fresh rows in SQL sends only the others; the rest are counted up to date.
        let skippingFresh = try await FreshnessKey.forScan(of: store, classifier: classifier)
        let stream = RowStream(
            store: store, fields: classifier.template.fields, pageSize: pageSize, skippingFresh: skippingFresh)
        try await stream.forEachPage { page in
            for row in page {
                counts.rowsTotal += 1
                let planned = classifier.classify(row)
                if let failure = row.failure, failure.contentHash == planned.contentHash, planned.state != .upToDate {
                    counts.failed += 1
                }
                guard ids?.contains(row.id) ?? true else { continue }
                switch planned.state {
                case .missing: counts.missing += 1
                case .stale: counts.stale += 1
                case .upToDate: counts.upToDate += 1
                case .empty: counts.empty += 1
                }
                if planned.skippedAsFailed { counts.skippedFailed += 1 }
                if planned.selected {
                    counts.selected += 1
                    selectedRow(planned)
                }
            }
            return true
        }
        if skippingFresh != nil, let filtering = store as? any FreshnessFilteringStore {
            let total = try await filtering.countSourceRows()
            counts.upToDate += max(0, total - counts.rowsTotal)
            counts.rowsTotal = max(total, counts.rowsTotal)
        }
        return counts
    }
}
