import EmbedSyncCore
import Foundation
import GRDB

extension SQLiteStore: SearchableStore {
    /// Exact search: streams the stored float32 BLOBs in chunks, scores each chunk with SIMD dot products on
    /// both cores and keeps a bounded top-k, so memory stays flat in the number of rows.
    public func search(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit] {
        let schema = try await sourceSchema()
        let chunkRows = 8192
        return try await database("search") {
            try await queue.read { db in
                guard try db.tableExists(self.targetTable) else { return [] }
                let (sql, arguments) = try self.vectorQuery(db, schema: schema, model: model, filter: filter)
                let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
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

    /// The statement reading `(id, vector BLOB)` of `model`'s stored vectors, narrowed to the source rows matching
    /// `filter` (checked to be a valid read-only condition on the source's columns).
    func vectorQuery(
        _ db: Database, schema: SourceSchema, model: ModelIdentity, filter: SearchFilter?
    ) throws -> (sql: String, arguments: StatementArguments) {
        let (vectorSQL, from) = vectorSource(schema: schema)
        var sql = "SELECT t.id, \(vectorSQL) FROM \(from) WHERE t.model = ? AND t.dimensions = ?"
        var arguments: StatementArguments = [model.storageKey, model.dimensions]
        if let filter {
            let (ids, values) = try matchingIDs(db, schema: schema, filter: filter)
            sql += " AND t.id IN (\(ids))"
            arguments += values
        }
        return (sql, arguments)
    }

    /// `SELECT id FROM source WHERE filter`, checked to be a valid read-only condition on the source's columns.
    func matchingIDs(
        _ db: Database, schema: SourceSchema, filter: SearchFilter
    ) throws -> (sql: String, arguments: StatementArguments) {
        let (condition, values) = filter.rendered()
        let sql = "SELECT s.\(quoteIdentifier(schema.idColumn)) FROM \(sourceSQL) AS s WHERE (\(condition))"
        do {
            guard try db.makeStatement(sql: sql).isReadonly else {
                throw EmbedSyncError(.usage, "\(.filter) must be a read-only condition on the source's columns.")
            }
        } catch let error as EmbedSyncError {
            throw error
        } catch {
            throw EmbedSyncError(
                .usage,
                """
                \(.filter) '\(filter.description)' is not a valid condition on the source's columns: \
                \(SQLiteStore.describe(error)).
                """
            )
        }
        return (sql, StatementArguments(values.map(\.databaseValue)))
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
            try await queue.read { db in try self.storedModels(db) }
        }
    }

    func storedModels(_ db: Database) throws -> [String: Int] {
        guard try db.tableExists(targetTable) else { return [:] }
        var models: [String: Int] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT model, count(*) AS n FROM \(quoteIdentifier(targetTable)) GROUP BY model")
        {
            models[row["model"]] = row["n"]
        }
        return models
    }
}

extension SearchFilter.Value {
    /// The value as SQLite binds it (a boolean as 1 or 0, as SQLite stores them).
    var databaseValue: DatabaseValue {
        switch self {
        case .text(let text): text.databaseValue
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        case .bool(let flag): flag.databaseValue
        }
    }
}
