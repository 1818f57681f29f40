import EmbedSyncCore
import Foundation

extension LibSQLStore: SearchableStore {
    /// Exact search: pulls the stored vectors page by page (each response well under the server's 10 MB limit),
    /// scores each page with SIMD dot products and keeps a bounded top-k, so memory stays flat in the number of rows.
    public func search(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit] {
        let schema = try await sourceSchema()
        guard try await tableExists(targetTable) else { return [] }
        let unit = VectorScan.normalized(query)
        let dimensions = model.dimensions
        // Base64 makes 4 bytes 5.4 characters; allow for the JSON around each value.
        let pageRows = max(16, configuration.searchPageBytes / (dimensions * 6 + 120))
        let (vectorSQL, from) = vectorSource(schema: schema)
        var sql = "SELECT t.id, \(vectorSQL) FROM \(from) WHERE t.model = ? AND t.dimensions = ?"
        var filterValues: [HranaValue] = []
        if let filter {
            let (condition, values) = filter.rendered()
            sql +=
                " AND t.id IN (SELECT s.\(quoteIdentifier(schema.idColumn)) FROM \(sourceSQL) AS s "
                + "WHERE (\(condition)))"
            filterValues = values.map(HranaValue.init)
            try await checkFilter(condition, schema: schema)
        }
        var best: [(score: Float, id: RowID)] = []
        let floor = minScore.map { Float($0) - 1e-6 } ?? -.infinity
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
            var matrix = [Float](repeating: 0, count: result.rows.count * dimensions)
            var norms = [Float](repeating: 0, count: result.rows.count)
            var ids: [RowID] = []
            for row in result.rows {
                guard let id = LibSQLStore.rowID(row[0]), case .blob(let blob) = row[1], blob.count == dimensions * 4
                else { continue }
                let slot = ids.count
                var sum: Float = 0
                blob.withUnsafeBytes { raw in
                    for d in 0..<dimensions {
                        let value = Float(
                            bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: d * 4, as: UInt32.self)))
                        matrix[slot * dimensions + d] = value
                        sum += value * value
                    }
                }
                norms[slot] = sum.squareRoot()
                ids.append(id)
            }
            let top = matrix.withUnsafeBufferPointer { m in
                norms.withUnsafeBufferPointer { n in
                    VectorScan.topK(
                        query: unit, matrix: m, count: ids.count, dimensions: dimensions, norms: n, k: k,
                        minScore: floor)
                }
            }
            best += top.map { ($0.score, ids[$0.index]) }
            best.sort { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }
            if best.count > k { best.removeLast(best.count - k) }
            guard result.rows.count == pageRows, let last = result.rows.last?.first else { break }
            after = last
        }
        return best.filter { Double($0.score) >= (minScore ?? -.infinity) - 1e-6 }.map {
            SearchHit(id: $0.id, score: Double($0.score), values: [:], storedText: nil)
        }
    }

    /// Checks that `--where` is a read-only condition on the source's columns before it is used.
    private func checkFilter(_ filter: String, schema: SourceSchema) async throws {
        let ids = "SELECT s.\(quoteIdentifier(schema.idColumn)) FROM \(sourceSQL) AS s WHERE (\(filter))"
        let described: (isReadonly: Bool, columns: [String])
        do {
            described = try await client.describe(ids)
        } catch let error as EmbedSyncError
            where error.sqlState?.hasPrefix("HTTP") != true
            && error.sqlState != HranaClient.transportCode
        {
            let reason = (error.underlying as? DatabaseFailure)?.message ?? error.message
            throw EmbedSyncError(
                .usage, "\(.filter) '\(filter)' is not a valid condition on the source's columns: \(reason).")
        }
        guard described.isReadonly else {
            throw EmbedSyncError(.usage, "\(.filter) must be a read-only condition on the source's columns.")
        }
    }

    /// How to read vectors: from the target table, or (column mode) from the source column joined to the side table.
    private func vectorSource(schema: SourceSchema) -> (column: String, from: String) {
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
