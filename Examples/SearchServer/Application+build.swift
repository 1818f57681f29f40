import EmbedSyncCore
import Hummingbird

/// One search hit as JSON.
struct Hit: Codable {
    var id: String
    var score: Double
    var text: String
}

/// The answer of `GET /search`.
struct Hits: ResponseEncodable, Decodable {
    var query: String
    var results: [Hit]
}

/// Builds the app: `GET /search?q=TEXT&k=N` answers the `k` rows closest to `q` (cosine similarity, best first).
/// `main` calls it; a test could call it with HummingbirdTesting.
func buildApplication(searcher: Searcher, port: Int) -> some ApplicationProtocol {
    let router = Router()
    router.get("/search") { request, _ -> Hits in
        let query = request.uri.queryParameters.get("q") ?? ""
        let k = request.uri.queryParameters.get("k", as: Int.self) ?? 5
        do {
            let results = try await searcher.search(query, k: k)
            return Hits(
                query: query, results: results.map { Hit(id: $0.id.description, score: $0.score, text: $0.text) })
        } catch let error as EmbedSyncError where error.code == .usage {
            // An empty query or a bad k is the caller's mistake: 400, not 500.
            throw HTTPError(.badRequest, message: error.message)
        }
    }
    return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
}
