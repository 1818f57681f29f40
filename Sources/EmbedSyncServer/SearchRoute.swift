import EmbedSyncCore
import Foundation
import Hummingbird

/// What `/v1/search` searches: a store, the template its rows are rendered with, the source's columns (the only
/// names `where` may use) and, when the store allows it, its vectors held in memory.
public struct SearchBackend: Sendable {
    public var store: any SearchableStore
    public var template: TextTemplate
    public var columns: [String]
    /// The vectors in memory (SQLite): a query is a SIMD scan; `nil` asks the store (pgvector, libSQL).
    public var index: MemoryVectorIndex?
    /// Rank rows by their best chunk (targets filled with `--chunk-tokens`; ``Searcher/searchesChunks``).
    public var searchesChunks = false

    public init(
        store: any SearchableStore, template: TextTemplate, columns: [String], index: MemoryVectorIndex? = nil
    ) {
        self.store = store
        self.template = template
        self.columns = columns
        self.index = index
    }
}

/// The body of `POST /v1/search`.
struct SearchRequest: Decodable {
    var query: String?
    var k: Int?
    var minScore: Double?
    var filter: [String: AnyJSON]?
    var includeText: Bool?
    var model: String?

    enum CodingKeys: String, CodingKey {
        case query, k, model
        case minScore = "min_score"
        case filter = "where"
        case includeText = "include_text"
    }
}

/// `POST /v1/search`: the top-k rows of the served table by cosine similarity to the query.
struct SearchRoute: Sendable {
    let model: ServedModel
    let backend: SearchBackend?
    let maxBodyBytes: Int
    let metrics: ServerMetrics?

    func respond(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        let body = try await RequestBody.decode(SearchRequest.self, from: request, limit: maxBodyBytes)
        guard let backend else {
            throw APIError.notFound("This server has no searchable table: start it with --database and --table.")
        }
        guard let query = body.query, !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.invalid("'query' must be a non-empty string.", param: "query")
        }
        let k = body.k ?? 10
        guard (1...100).contains(k) else { throw APIError.invalid("'k' must be between 1 and 100.", param: "k") }
        if let minScore = body.minScore, !(minScore >= -1 && minScore <= 1) {
            throw APIError.invalid("'min_score' must be between -1 and 1.", param: "min_score")
        }
        if let name = body.model, !model.names.contains(name) {
            throw APIError.notFound(
                "The model `\(name)` does not exist here; this table is searched with `\(model.id)`.",
                param: "model", code: "model_not_found")
        }
        let filter = try body.filter.flatMap { try WhereFilter.filter($0, columns: backend.columns) }
        var searcher = Searcher(
            store: backend.store, embedder: model.embedder, template: backend.template, index: backend.index)
        searcher.searchesChunks = backend.searchesChunks
        let results = try await searcher.search(query, k: k, minScore: body.minScore, filter: filter)
        let tokens = model.prepare([query.trimmingCharacters(in: .whitespacesAndNewlines)]).first?.tokens ?? 0
        let includeText = body.includeText ?? true
        let data: [JSONValue] = results.enumerated().map { rank, result in
            var pairs: [(String, JSONValue)] = [("id", result.id.jsonValue), ("score", .double(result.score))]
            if includeText { pairs.append(("text", .string(result.text))) }
            pairs.append(("rank", .int(Int64(rank + 1))))
            return .object(pairs)
        }
        let took = ContinuousClock.now - start
        metrics?.searchDuration.record(took)
        let milliseconds = Double(took.components.attoseconds) / 1e15 + Double(took.components.seconds) * 1000
        let json = JSONValue.object([
            ("object", .string("list")), ("model", .string(model.id)), ("data", .array(data)),
            ("usage", .object([("prompt_tokens", .int(Int64(tokens))), ("total_tokens", .int(Int64(tokens)))])),
            ("took_ms", .double((milliseconds * 100).rounded() / 100)),
        ])
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: json.serialized())))
    }
}
