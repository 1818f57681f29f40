import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncServer
import EmbedSyncTesting
import Foundation
import GRDB
import HummingbirdTesting
import Testing

/// `POST /v1/search` over a SQLite table embedded with `--chunk-tokens`: rows ranked by their best chunk.
@Suite("POST /v1/search over chunks")
struct ChunkSearchRouteTests {
    @Test("the row whose last chunk holds the query ranks first, once, with that chunk's text; where applies")
    func chunkSearch() async throws {
        let folder = try TestFiles.makeFolder("embedsync-serve-chunks")
        let path = folder.appendingPathComponent("app.db").path
        let queue = try DatabaseQueue(path: path)
        let rows = [
            1: "alpha apples", 2: String(repeating: "lorem ", count: 40) + "purple zebra.",
            3: "beta bananas zebra gamma grapes apples",
        ]
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT)")
            for (id, title) in rows { try db.execute(sql: "INSERT INTO docs VALUES (?, ?)", arguments: [id, title]) }
        }
        try queue.close()
        let store = try SQLiteStore(.init(path: path, source: .table("docs")))
        let template = try TextTemplate("{{title}}")
        let embedder = KeywordEmbedder()
        var configuration = RunConfiguration(template: template)
        configuration.chunking = ChunkSettings(tokens: 8, overlap: 2)
        let summary = try await Runner(store: store, embedder: embedder, configuration: configuration).run()
        #expect(summary.chunksEmbedded == 9)
        var backend = SearchBackend(store: store, template: template, columns: ["id", "title"])
        backend.searchesChunks = true
        try await Fixture.app(embedder: embedder, search: backend).test(.router) { client in
            let answer = try await client.call(.post, "/v1/search", json: #"{"query":"purple zebra","k":5}"#)
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.data.map { $0["id"] as? Int } == [2, 3, 1])
            #expect(answer.data.first?["text"] as? String == "lorem lorem lorem lorem purple zebra.")
            let filtered = try await client.call(
                .post, "/v1/search", json: #"{"query":"purple zebra","where":{"id":{"gt":2}}}"#)
            #expect(filtered.data.map { $0["id"] as? Int } == [3], "\(filtered.text)")
        }
        await store.close()
    }
}
