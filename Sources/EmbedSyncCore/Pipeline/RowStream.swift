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
        var after: RowID?
        while true {
            let page = try await store.scan(after: after, limit: pageSize, fields: fields)
            guard let last = page.last else { return }
            guard try await body(page) else { return }
            if page.count < pageSize { return }
            after = last.id
        }
    }
}
