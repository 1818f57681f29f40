import EmbedSyncCore
import Foundation
import GRDB

extension SQLiteStore: SearchableStore {
    /// Exact search: streams the stored float32 BLOBs in chunks, scores each chunk with SIMD dot products on
    /// both cores and keeps a bounded top-k, so memory stays flat in the number of rows.
    public func search(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: String?, fields: [String]
    ) async throws -> [SearchHit] {
        let schema = try await sourceSchema()
        let chunkRows = 8192
        return try await database("search") {
            try await queue.read { db in
                guard try db.tableExists(self.targetTable) else { return [] }
                let (vectorSQL, from) = self.vectorSource(schema: schema)
                var sql = "SELECT t.id, \(vectorSQL) FROM \(from) WHERE t.model = ? AND t.dimensions = ?"
                if let filter {
                    let ids =
                        "SELECT s.\(quoteIdentifier(schema.idColumn)) FROM \(self.sourceSQL) AS s WHERE (\(filter))"
                    do {
                        guard try db.makeStatement(sql: ids).isReadonly else {
                            throw EmbedSyncError(
                                .usage, "\(.filter) must be a read-only condition on the source's columns.")
                        }
                    } catch let error as EmbedSyncError {
                        throw error
                    } catch {
                        throw EmbedSyncError(
                            .usage,
                            """
                            \(.filter) '\(filter)' is not a valid condition on the \
                            source's columns: \(SQLiteStore.describe(error)).
                            """
                        )
                    }
                    sql += " AND t.id IN (\(ids))"
                }
                let cursor = try Row.fetchCursor(db, sql: sql, arguments: [model.storageKey, model.dimensions])
                var scan = VectorScan.Accumulator(
                    query: query, dimensions: model.dimensions, k: k, minScore: minScore, chunkRows: chunkRows)
                while let row = try cursor.next() {
                    guard let id = RowID(row[0] as DatabaseValue), let blob = row[1] as Data? else { continue }
                    scan.add(id: id, blob: blob)
                }
                return scan.finish()
            }
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
                """
                \(quoteIdentifier(targetTable)) AS t JOIN \(quoteIdentifier(table)) AS s ON \
                s.\(quoteIdentifier(schema.idColumn)) = t.id
                """
            )
        case .table:
            return ("t.embedding", quoteIdentifier(targetTable) + " AS t")
        }
    }

    public func storedModels() async throws -> [String: Int] {
        try await database("model read") {
            try await queue.read { db in
                guard try db.tableExists(self.targetTable) else { return [:] }
                var models: [String: Int] = [:]
                for row in try Row.fetchAll(
                    db, sql: "SELECT model, count(*) AS n FROM \(quoteIdentifier(self.targetTable)) GROUP BY model")
                {
                    models[row["model"]] = row["n"]
                }
                return models
            }
        }
    }
}
