import EmbedSyncCore
import Foundation

extension LibSQLStore: SearchableStore {
    /// Exact search: streams the stored vectors through `/v3/cursor` (or, on a Hrana 2 server, pulls them page by
    /// page, each response well under the server's 10 MB limit), scores them in chunks with SIMD dot products and
    /// keeps a bounded top-k, so memory stays flat in the number of rows. ``Configuration/searchMode`` can ask the
    /// server instead (``serverSearch(query:model:k:minScore:filter:schema:)``).
    public func search(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit] {
        let schema = try await sourceSchema()
        guard try await tableExists(targetTable) else { return [] }
        if let filter { try await checkFilter(filter, schema: schema) }
        switch configuration.searchMode {
        case .exact: break
        case .server, .index:
            return try await serverSearch(
                query: query, model: model, k: k, minScore: minScore, filter: filter, schema: schema)
        }
        let dimensions = model.dimensions
        // Base64 makes 4 bytes 5.4 characters; allow for the JSON around each value.
        let pageRows = max(16, configuration.searchPageBytes / (dimensions * 6 + 120))
        let (vectorSQL, from) = vectorSource(schema: schema)
        var sql = "SELECT t.id, \(vectorSQL) FROM \(from) WHERE t.model = ? AND t.dimensions = ?"
        var filterValues: [HranaValue] = []
        if let filter {
            let condition = filterCondition(filter, schema: schema)
            sql += condition.sql
            filterValues = condition.values
        }
        var scan = VectorScan.Accumulator(query: query, dimensions: dimensions, k: k, minScore: minScore)
        // One streamed answer (/v3/cursor) where the server has it; pages under the 10 MB limit otherwise.
        let streamed = try await client.cursor(
            HranaStatement(
                sql + " ORDER BY t.id", [.text(model.storageKey), .integer(Int64(dimensions))] + filterValues),
            timeout: configuration.cursorTimeout
        ) { row in
            guard row.count == 2, let id = LibSQLStore.rowID(row[0]), case .blob(let blob) = row[1] else { return }
            scan.add(id: id, blob: blob)
        }
        if streamed { return scan.finish() }
        var after: HranaValue?
        while true {
            var args: [HranaValue] = [.text(model.storageKey), .integer(Int64(dimensions))] + filterValues
            var page = sql
            if let after {
                page += " AND t.id > ?"
                args.append(after)
            }
            page += " ORDER BY t.id LIMIT ?"
            args.append(.integer(Int64(pageRows)))
            let result = try await client.execute(HranaStatement(page, args))
            for row in result.rows {
                guard let id = LibSQLStore.rowID(row[0]), case .blob(let blob) = row[1] else { continue }
                scan.add(id: id, blob: blob)
            }
            guard result.rows.count == pageRows, let last = result.rows.last?.first else { break }
            after = last
        }
        return scan.finish()
    }

    /// Checks that `--where` is a read-only condition on the source's columns before it is used.
    func checkFilter(_ filter: SearchFilter, schema: SourceSchema) async throws {
        let ids = "SELECT s.\(quoteIdentifier(schema.idColumn)) FROM \(sourceSQL) AS s WHERE (\(filter.rendered().sql))"
        let described: (isReadonly: Bool, columns: [String])
        do {
            described = try await client.describe(ids)
        } catch let error as EmbedSyncError
            where error.sqlState?.hasPrefix("HTTP") != true
            && !HranaClient.isTransport(error.sqlState)
        {
            let reason = (error.underlying as? DatabaseFailure)?.message ?? error.message
            throw EmbedSyncError(
                .usage,
                "\(.filter) '\(filter.description)' is not a valid condition on the source's columns: \(reason).")
        }
        guard described.isReadonly else {
            throw EmbedSyncError(.usage, "\(.filter) must be a read-only condition on the source's columns.")
        }
    }

    /// `AND t.id IN (ids of the source rows matching filter)`, and the filter's values to bind, in order.
    func filterCondition(_ filter: SearchFilter, schema: SourceSchema) -> (sql: String, values: [HranaValue]) {
        let (condition, values) = filter.rendered()
        return (
            " AND t.id IN (SELECT s.\(quoteIdentifier(schema.idColumn)) FROM \(sourceSQL) AS s WHERE (\(condition)))",
            values.map(HranaValue.init)
        )
    }

    /// How to read vectors: from the target table, or (column mode) from the source column joined to the side table.
    func vectorSource(schema: SourceSchema) -> (column: String, from: String) {
        switch configuration.target {
        case .column(let column):
            guard case .table(let table) = configuration.source else {
                return ("NULL", quoteIdentifier(targetTable) + " AS t")
            }
            return (
                "s.\(quoteIdentifier(column))",
                "\(quoteIdentifier(targetTable)) AS t JOIN \(quoteIdentifier(table)) AS s "
                    + "ON s.\(quoteIdentifier(schema.idColumn)) = t.id"
            )
        case .table:
            return ("t.embedding", quoteIdentifier(targetTable) + " AS t")
        }
    }

    public func storedModels() async throws -> [String: Int] {
        guard try await tableExists(targetTable) else { return [:] }
        let result = try await client.execute(
            HranaStatement("SELECT model, count(*) FROM \(quoteIdentifier(targetTable)) GROUP BY model"))
        var models: [String: Int] = [:]
        for row in result.rows {
            if let model = row[0].string { models[model] = Int(row[1].int ?? 0) }
        }
        return models
    }
}
