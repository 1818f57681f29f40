import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncServer
import EmbedSyncTesting
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /v1/search` over a real SQLite table embedded by the pipeline, and `/metrics`.
@Suite("POST /v1/search and GET /metrics")
struct SearchRouteTests {
    /// A `products` table of `count` rows embedded with the scripted embedder; the store stays open for the test.
    static func embeddedStore(count: Int = 12) async throws -> (SQLiteStore, TextTemplate) {
        let folder = try TestFiles.makeFolder("embedsync-serve")
        let path = folder.appendingPathComponent("app.db").path
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, category TEXT, price REAL)")
            for id in 1...count {
                try db.execute(
                    sql: "INSERT INTO products VALUES (?, ?, ?, ?)",
                    arguments: [id, "Product \(id)", id % 2 == 0 ? "tools" : "toys", Double(id) * 1.5])
            }
        }
        try queue.close()
        let store = try SQLiteStore(.init(path: path, source: .table("products")))
        let template = try TextTemplate("{{name}}")
        let summary = try await Runner(
            store: store, embedder: ScriptedEmbedder(), configuration: RunConfiguration(template: template)
        ).run()
        #expect(summary.embedded == count)
        return (store, template)
    }

    /// The table's search backend; `inMemory` holds its vectors in a ``MemoryVectorIndex`` as `embedsync serve` does.
    static func backend(
        _ store: SQLiteStore, _ template: TextTemplate, inMemory: Bool = false
    ) async throws
        -> SearchBackend
    {
        var index: MemoryVectorIndex?
        if inMemory {
            index = MemoryVectorIndex(store: store, model: ScriptedEmbedder().identity)
            try await index?.load()
        }
        return SearchBackend(
            store: store, template: template, columns: try await store.sourceSchema().columns.map(\.name),
            index: index)
    }

    @Test(
        "the row whose text is the query ranks first with score 1; k, rank, text, usage and took_ms are there",
        arguments: [false, true])
    func search(inMemory: Bool) async throws {
        let (store, template) = try await Self.embeddedStore()
        let backend = try await Self.backend(store, template, inMemory: inMemory)
        try await Fixture.app(search: backend).test(.router) { client in
            let answer = try await client.call(.post, "/v1/search", json: #"{"query":"Product 7","k":3}"#)
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.json["object"] as? String == "list")
            #expect(answer.json["model"] as? String == "scripted")
            #expect(answer.data.count == 3)
            #expect(answer.data.first?["id"] as? Int == 7)
            #expect(abs((answer.data.first?["score"] as? Double ?? 0) - 1) < 1e-5)
            #expect(answer.data.first?["text"] as? String == "Product 7")
            #expect(answer.data.map { $0["rank"] as? Int } == [1, 2, 3])
            #expect((answer.json["usage"] as? [String: Any])?["prompt_tokens"] as? Int == 3)
            #expect(answer.json["took_ms"] is Double)
            let bare = try await client.call(
                .post, "/v1/search", json: #"{"query":"Product 7","k":1,"include_text":false}"#)
            #expect(bare.data.first?["text"] == nil)
        }
        await store.close()
    }

    @Test(
        "structured where: equality, operators and in, on the source's own columns; quotes stay values",
        arguments: [false, true])
    func structuredWhere(inMemory: Bool) async throws {
        let (store, template) = try await Self.embeddedStore()
        let backend = try await Self.backend(store, template, inMemory: inMemory)
        try await Fixture.app(search: backend).test(.router) { client in
            func ids(_ filter: String) async throws -> [Int] {
                let answer = try await client.call(
                    .post, "/v1/search", json: #"{"query":"Product 7","k":100,"where":\#(filter)}"#)
                #expect(answer.status == 200, "\(filter): \(answer.text)")
                return answer.data.compactMap { $0["id"] as? Int }.sorted()
            }
            let found1 = try await ids(#"{"category":"tools"}"#)
            #expect(found1 == [2, 4, 6, 8, 10, 12])
            let found2 = try await ids(#"{"category":{"eq":"toys"},"price":{"gt":9,"lte":15}}"#)
            #expect(found2 == [7, 9])
            let found3 = try await ids(#"{"id":{"in":[1,3,5]}}"#)
            #expect(found3 == [1, 3, 5])
            let found4 = try await ids(#"{"category":{"ne":null}}"#)
            #expect(found4.count == 12)
            let found5 = try await ids(#"{"name":"x' OR '1'='1"}"#)
            #expect(found5 == [])
            let found6 = try await ids(#"{"name":"Product 5"}"#)
            #expect(found6 == [5])
        }
        await store.close()
    }

    @Test("bad search requests are 400 naming the parameter; no table is 404")
    func badSearches() async throws {
        let (store, template) = try await Self.embeddedStore(count: 3)
        let backend = try await Self.backend(store, template)
        let cases: [(String, String)] = [
            (#"{"k":3}"#, "query"), (#"{"query":"  "}"#, "query"), (#"{"query":"a","k":0}"#, "k"),
            (#"{"query":"a","k":101}"#, "k"), (#"{"query":"a","min_score":2}"#, "min_score"),
            (#"{"query":"a","where":{"nope":1}}"#, "where"), (#"{"query":"a","where":{"name":{"like":"%"}}}"#, "where"),
            (#"{"query":"a","where":{"name":{"in":[]}}}"#, "where"), (#"{"query":"a","where":{"name":[1]}}"#, "where"),
        ]
        try await Fixture.app(search: backend).test(.router) { client in
            for (body, param) in cases {
                let answer = try await client.call(.post, "/v1/search", json: body)
                #expect(answer.status == 400, "\(body): \(answer.text)")
                #expect(answer.error["param"] as? String == param, "\(body): \(answer.text)")
            }
        }
        await store.close()
        try await Fixture.app().test(.router) { client in
            let noTable = try await client.call(.post, "/v1/search", json: #"{"query":"a"}"#)
            #expect(noTable.status == 404)
        }
    }

    @Test("/metrics is Prometheus text: requests by route template and status, embedded inputs and tokens")
    func metrics() async throws {
        let metrics = ServerMetrics(model: "scripted")
        try await Fixture.app(metrics: metrics).test(.router) { client in
            _ = try await client.call(.post, "/v1/embeddings", json: #"{"model":"scripted","input":["ab","cd"]}"#)
            _ = try await client.call(.post, "/v1/embeddings", json: #"{"model":"nope","input":"a"}"#)
            _ = try await client.call(.get, "/v1/nothing")
            let answer = try await client.call(.get, "/metrics")
            #expect(answer.status == 200)
            #expect(answer.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = answer.text
            #expect(
                text.contains(#"embedsync_http_requests_total{route="/v1/embeddings",method="POST",status="200"} 1"#))
            #expect(
                text.contains(#"embedsync_http_requests_total{route="/v1/embeddings",method="POST",status="404"} 1"#))
            #expect(text.contains(#"embedsync_http_requests_total{route="unmatched",method="GET",status="404"} 1"#))
            #expect(text.contains("embedsync_embed_inputs_total 2"))
            #expect(text.contains("embedsync_embed_tokens_total 2"))
            #expect(text.contains("embedsync_http_request_duration_seconds_bucket"))
            #expect(text.contains(#"embedsync_build_info{version="\#(EmbedSyncVersion.current)",model="scripted"} 1"#))
        }
    }
}
