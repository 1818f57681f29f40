import EmbedSyncCore
import PostgresNIO

extension PostgresStore {
    /// Rows ranked by their best chunk. The chunks nearest the query are fetched first, more than `k` of them
    /// (`k` × the average chunks per row × 2, so an HNSW index on the chunks can answer), then grouped by row keeping
    /// each row's best (`DISTINCT ON`); when that leaves fewer than `k` rows and more chunks remain, it fetches twice
    /// as many and groups again. With an HNSW index on the chunks (`embedsync index create`), `hnsw.ef_search` is
    /// raised to the over-fetch (at most 1000) for the transaction.
    public func searchChunks(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit] {
        let layout = try await layout()
        let table = chunkTable(layout)
        guard k > 0, try await tableExists(table), try await tableExists(layout.target) else { return [] }
        guard query.count == model.dimensions else {
            throw EmbedSyncError(
                .usage, "The query vector has \(query.count) dimensions; \(model.storageKey) has \(model.dimensions).")
        }
        let vectorSchema = try await vectorSchema()
        var fetch = k * (try await chunksPerRow(layout)) * 2
        while true {
            let (hits, candidates) = try await chunkCandidates(
                query: query, model: model, fetch: fetch, minScore: minScore, filter: filter, layout: layout,
                vectorSchema: vectorSchema)
            if hits.count >= k || candidates < fetch {
                return Array(hits.sorted { ($0.score, $1.id) > ($1.score, $0.id) }.prefix(k))
            }
            fetch *= 2
        }
    }

    /// The average number of chunks per row, from the planner's statistics (at least 1).
    func chunksPerRow(_ layout: Layout) async throws -> Int {
        try await database("chunk statistics") {
            var builder = SQLBuilder()
            let chunkName = builder.bind(chunkTable(layout))
            let targetName = builder.bind(layout.target)
            builder.sql = """
                SELECT (SELECT reltuples FROM pg_class WHERE oid = to_regclass(\(chunkName)))::float8,
                    (SELECT reltuples FROM pg_class WHERE oid = to_regclass(\(targetName)))::float8
                """
            let row = try await client.query(builder.query, logger: logger).collect().first
            let (chunks, rows) = try row?.decode((Double?, Double?).self) ?? (nil, nil)
            guard let chunks, let rows, chunks > 0, rows > 0 else { return 1 }
            return max(1, Int((chunks / rows).rounded(.up)))
        }
    }

    /// The best chunk of each row among the `fetch` chunks nearest the query, and how many chunks were fetched.
    private func chunkCandidates(
        query: [Float], model: ModelIdentity, fetch: Int, minScore: Double?, filter: SearchFilter?, layout: Layout,
        vectorSchema: String
    ) async throws -> (hits: [SearchHit], candidates: Int) {
        var builder = SQLBuilder()
        let vector = "(\(builder.bind(query))::float4[])::\(vectorSchema).vector"
        let distance = "(c.embedding OPERATOR(\(vectorSchema).<=>) \(vector))"
        var source = layout.sourceSQL
        if let filter {
            source = "(SELECT * FROM \(layout.sourceSQL) AS s WHERE (\(filter.sql { builder.bind($0) })))"
        }
        var conditions = ["c.model = \(builder.bind(model.storageKey))"]
        if let minScore { conditions.append("\(distance) <= 1 - \(builder.bind(minScore))") }
        builder.sql = """
            WITH candidates AS (
                SELECT c.row_id, c.text, \(distance) AS distance FROM \(chunkTable(layout)) AS c
                JOIN \(layout.target) AS t ON t.id = c.row_id AND t.content_hash = c.content_hash AND t.model = c.model
                JOIN \(source) AS s ON s.\(layout.id) = c.row_id
                WHERE \(conditions.joined(separator: " AND "))
                ORDER BY \(distance), c.row_id, c.chunk LIMIT \(builder.bind(Int64(fetch)))
            )
            SELECT DISTINCT ON (row_id) row_id::text, 1 - distance, text, (SELECT count(*) FROM candidates)
            FROM candidates ORDER BY row_id, distance
            """
        let statement = builder.query
        do {
            return try await transaction(readOnly: true) { [self] connection in
                let breadth = PostgresStore.chunkSearchBreadth(fetch: fetch)
                try await connection.query(
                    PostgresQuery(unsafeSQL: "SET LOCAL hnsw.ef_search = \(breadth)"), logger: logger)
                var hits: [SearchHit] = []
                var candidates = 0
                for try await (id, score, text, count) in try await connection.query(statement, logger: logger)
                    .decode((String, Double, String, Int64).self)
                {
                    hits.append(SearchHit(id: rowID(id, layout: layout), score: score, values: [:], storedText: text))
                    candidates = Int(count)
                }
                return (hits, candidates)
            }
        } catch {
            throw searchError(error, filtered: filter != nil, what: "chunk search")
        }
    }
}
