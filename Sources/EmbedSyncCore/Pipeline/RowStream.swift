/// Reads the source page by page in id order, so memory stays flat however large the table is.
public struct RowStream: Sendable {
    public let store: any EmbeddingStore
    public let fields: [String]
    public let pageSize: Int
    public let ids: IDSelection?

    public init(store: any EmbeddingStore, fields: [String], pageSize: Int = 1000, ids: IDSelection? = nil) {
        self.store = store
        self.fields = fields
        self.pageSize = pageSize
        self.ids = ids
    }

    /// Calls `body` with each page of rows until the source is exhausted or `body` returns `false`.
    public func forEachPage(_ body: ([ScannedRow]) async throws -> Bool) async throws {
        if let ids, ids.textIDs.isEmpty, ids.ranges.count <= 64, ids.ranges.allSatisfy({ $0.count <= 1 }) {
            let rows = try await store.rows(ids: ids.ranges.map { .int($0.lowerBound) }, fields: fields)
            _ = try await body(rows)
            return
        }
        // The next page is read while `body` works on this one: a keep-fresh run over an unchanged table spends its
        // time half in the database and half rendering and hashing, and the two overlap on two cores.
        var page = try await store.scan(after: nil, limit: pageSize, fields: fields)
        while let last = page.last {
            let more = page.count == pageSize
            async let following = more ? store.scan(after: last.id, limit: pageSize, fields: fields) : []
            guard try await body(page), more else { return }
            page = try await following
        }
    }
}
