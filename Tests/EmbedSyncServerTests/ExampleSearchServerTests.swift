import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import HummingbirdTesting
import Testing

@testable import embedsync_example_search

/// `Examples/SearchServer`: the app its `main` runs, driven through HummingbirdTesting on a table the pipeline filled.
@Suite("Examples/SearchServer")
struct ExampleSearchServerTests {
    @Test("GET /search answers the closest rows through Searcher, best first; an empty query is a 400")
    func search() async throws {
        let (store, template) = try await SearchRouteTests.embeddedStore(count: 6)
        let searcher = Searcher(store: store, embedder: ScriptedEmbedder(), template: template)
        try await buildApplication(searcher: searcher, port: 0).test(.router) { client in
            let found = try await client.call(.get, "/search?q=Product%203&k=2")
            #expect(found.status == 200, "\(found.text)")
            let hits = try JSONDecoder().decode(Hits.self, from: Data(found.text.utf8))
            #expect(hits.query == "Product 3")
            #expect(hits.results.map(\.id).first == "3", "the row whose text is the query comes first: \(found.text)")
            #expect(hits.results.count == 2)
            #expect(hits.results.first?.text == "Product 3")
            let empty = try await client.call(.get, "/search?q=")
            #expect(empty.status == 400, "\(empty.text)")
        }
        await store.close()
    }
}
