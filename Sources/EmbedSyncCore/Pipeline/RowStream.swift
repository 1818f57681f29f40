/// Reads the source page by page in id order, so memory stays flat however large the table is.
public struct RowStream: Sendable {
    public let store: any EmbeddingStore
    public let fields: [String]
    public let pageSize: Int
    public let ids: IDSelection?
    /// Set when the store leaves rows that are certainly fresh out of its scans (``FreshnessFilteringStore``).
    public let skippingFresh: FreshnessKey?

    public init(
        store: any EmbeddingStore, fields: [String], pageSize: Int = 1000, ids: IDSelection? = nil,
        skippingFresh: FreshnessKey? = nil
    ) {
        self.store = store
        self.fields = fields
        self.pageSize = pageSize
        self.ids = ids
        self.skippingFresh = skippingFresh
    }

    private func page(after: RowID?) async throws -> [ScannedRow] {
        if let key = skippingFresh, let filtering = store as? any FreshnessFilteringStore {
            return try await filtering.scanSkippingFresh(after: after, limit: pageSize, fields: fields, key: key)
        }
        return try await store.scan(after: after, limit: pageSize, fields: fields)
    }

    /// Calls `body` with each page of rows until the source is exhausted or `body` returns `false`.
    public func forEachPage(_ body: ([ScannedRow]) async throws -> Bool) async throws {
        if let ids, ids.textIDs.isEmpty, ids.ranges.count <= 64, ids.ranges.allSatisfy({ $0.count <= 1 }) {
            let rows = try await store.rows(ids: ids.ranges.map { .int($0.lowerBound) }, fields: fields)
            _ = try await body(rows)
            return
        }
        try await pages(after: nil, body)
    }

    /// Like ``forEachPage(_:)``, starting after the integer id `start` and wrapping around: first the rows after it,
    /// then the rows from the first up to it. Workers sharing a table start at different places, so they seldom race
    /// for the same rows. Text ids (whose order the database's collation decides) are read from the first row.
    public func forEachPage(wrappingAfter start: RowID?, _ body: ([ScannedRow]) async throws -> Bool) async throws {
        guard ids == nil, case .int(let split) = start else { return try await forEachPage(body) }
        var stopped = false
        try await pages(after: start) { page in
            stopped = try await !body(page)
            return !stopped
        }
        guard !stopped else { return }
        try await pages(after: nil) { page in
            let head = page.prefix { row in
                if case .int(let id) = row.id { return id <= split }
                return true
            }
            guard head.count == page.count else {
                if !head.isEmpty { _ = try await body(Array(head)) }
                return false
            }
            return try await body(page)
        }
    }

    /// The pages after `after`, in id order. The next page is read while `body` works on this one: a keep-fresh run
    /// over an unchanged table spends its time half in the database and half rendering and hashing, and the two
    /// overlap on two cores.
    private func pages(after: RowID?, _ body: ([ScannedRow]) async throws -> Bool) async throws {
        var page = try await page(after: after)
        while let last = page.last {
            let more = page.count == pageSize
            async let following = more ? self.page(after: last.id) : []
            guard try await body(page), more else { return }
            page = try await following
        }
    }
}
