import EmbedSyncCore
import PostgresNIO

extension PostgresStore {
    /// The top `k` rows by cosine similarity with pgvector's `<=>` (score = 1 − cosine distance), best first.
    ///
    /// Runs in a `READ ONLY` transaction. `filter` is a condition on the source's own columns (values bound), applied
    /// as `WHERE (filter)` inside a subquery over the source alone, so bare column names mean the source's columns.
    /// Without an HNSW index the scan is exact; with one (``createIndex()``) pgvector answers approximately.
    public func search(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit] {
        let layout = try await layout()
        guard k > 0, try await tableExists(layout.target) else { return [] }
        guard query.count == model.dimensions else {
            throw EmbedSyncError(
                .usage, "The query vector has \(query.count) dimensions; \(model.storageKey) has \(model.dimensions).")
        }
        let vectorSchema = try await vectorSchema()
        let known = Set(layout.schema.columns.map(\.name) + [layout.schema.idColumn])
        if let unknown = fields.first(where: { !known.contains($0) }) {
            throw EmbedSyncError(.usage, "No column '\(unknown)' in the source to return with search results.")
        }
        var builder = SQLBuilder()
        let vector = "(\(builder.bind(query))::float4[])::\(vectorSchema).vector"
        let distanceOperator = "OPERATOR(\(vectorSchema).<=>)"
        let embedding = layout.vectorColumn.map { "s.\(quoteIdentifier($0))" } ?? "t.embedding"
        let distance = "(\(embedding) \(distanceOperator) \(vector))"
        var source = layout.sourceSQL
        if let filter {
            source = "(SELECT * FROM \(layout.sourceSQL) AS s WHERE (\(filter.sql { builder.bind($0) })))"
        }
        let storedText = layout.isColumnMode ? "NULL::text" : "t.text"
        let columns =
            (["s.\(layout.id)::text", "1 - \(distance)", storedText] + fields.map { "s.\(quoteIdentifier($0))::text" })
            .joined(separator: ", ")
        var conditions = ["t.model = \(builder.bind(model.storageKey))"]
        if layout.isColumnMode { conditions.append("\(embedding) IS NOT NULL") }
        if let minScore { conditions.append("\(distance) <= 1 - \(builder.bind(minScore))") }
        builder.sql = """
            SELECT \(columns) FROM \(layout.target) AS t JOIN \(source) AS s ON s.\(layout.id) = t.id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(distance), s.\(layout.id) LIMIT
                \(builder.bind(Int64(k)))
            """
        let statement = builder.query
        do {
            return try await transaction(readOnly: true) { [self] connection in
                var hits: [SearchHit] = []
                for try await row in try await connection.query(statement, logger: logger) {
                    let cells = row.makeRandomAccess()
                    guard let id = try cells[0].decode(String?.self), let score = try cells[1].decode(Double?.self)
                    else { continue }
                    var values: [String: String?] = [:]
                    for (index, field) in fields.enumerated() {
                        values[field] = try cells[index + 3].decode(String?.self)
                    }
                    hits.append(
                        SearchHit(
                            id: rowID(id, layout: layout), score: score, values: values,
                            storedText: try cells[2].decode(String?.self)))
                }
                return hits
            }
        } catch {
            throw searchError(error, filtered: filter != nil, what: "search")
        }
    }

    public func storedModels() async throws -> [String: Int] {
        let layout = try await layout()
        return try await database("model read") {
            guard try await tableExists(layout.target) else { return [:] }
            var sql = "SELECT t.model, count(*) FROM \(layout.target) AS t"
            if let column = layout.vectorColumn {
                sql +=
                    """
                     JOIN \(layout.sourceSQL) AS s ON s.\(layout.id) = t.id WHERE s.\(quoteIdentifier(column)) IS NOT \
                    NULL
                    """
            }
            sql += " GROUP BY t.model"
            var models: [String: Int] = [:]
            for row in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect() {
                let (model, count) = try row.decode((String, Int64).self)
                models[model] = Int(count)
            }
            return models
        }
    }

    /// The HNSW index's name: `<target>_embedding_hnsw`, at most 63 bytes.
    var indexName: String {
        get async throws {
            let layout = try await layout()
            let base =
                layout.isColumnMode
                ? "\(configuration.source.baseName)_\(layout.vectorColumn ?? "embedding")"
                : "\(layout.targetName)_embedding"
            return String(splitName(base).name.utf8.prefix(57)).map { "\($0)_hnsw" } ?? "embedsync_hnsw"
        }
    }

    /// Creates an HNSW index for cosine distance on the vectors when it does not exist
    /// (`CREATE INDEX IF NOT EXISTS … USING hnsw (embedding vector_cosine_ops)`); `embedsync index create`.
    /// - Throws: ``EmbedSyncError`` when there are no vectors yet (table mode) or the column has no fixed dimension.
    public func createIndex() async throws {
        let layout = try await layout()
        let vectorSchema = try await vectorSchema()
        let name = try await indexName
        let (table, column): (String, String)
        if let vectorColumn = layout.vectorColumn, let source = layout.sourceTable {
            (table, column) = (source, vectorColumn)
        } else {
            guard try await tableExists(layout.target) else {
                throw EmbedSyncError(
                    .usage, "No vectors yet in \(layout.target): run `embedsync run` first, then create the index.")
            }
            (table, column) = (layout.target, "embedding")
        }
        _ = try await database("index creation") {
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE INDEX IF NOT EXISTS \(quoteIdentifier(name)) ON \(table)
                        USING hnsw (\(quoteIdentifier(column)) \(vectorSchema).vector_cosine_ops)
                        """), logger: logger)
        }
        try await createChunkIndex()
    }

    /// Drops the HNSW index when it exists; `embedsync index drop`.
    public func dropIndex() async throws {
        let layout = try await layout()
        let name = try await indexName
        // Column mode indexes the source table, whose schema is the side table's.
        let schema = layout.targetSchema
        _ = try await database("index drop") {
            try await client.query(
                PostgresQuery(unsafeSQL: "DROP INDEX IF EXISTS \(qualified(schema, name))"), logger: logger)
        }
        try await dropChunkIndex()
    }
}

extension PostgresStore {
    /// A failed search as people can act on it: a `--where` condition that does not run on the source rows is a usage
    /// error; anything else a database error naming `what` failed.
    func searchError(_ error: any Error, filtered: Bool, what: String) -> EmbedSyncError {
        if filtered, let state = PostgresStore.sqlState(error), state.hasPrefix("42") || state == "25006" {
            return EmbedSyncError(
                .usage,
                """
                The \(.filter) condition does not run on the source rows: \(describe(error)). Use a read-only SQL \
                condition on the source's columns, e.g. \(.filter) \"lang = 'en'\".
                """
            )
        }
        return EmbedSyncError(.database, "PostgreSQL \(what) failed on \(url): \(describe(error))")
    }
}
