import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

/// `--search-mode exact|server|index` against sqld: the three ways to find the nearest vectors agree.
@Suite("embedsync CLI on libSQL: search modes", .enabled(if: TestLibSQL.shouldRun))
struct CLILibSQLSearchModeTests {
    @Test("exact, server and index modes return the same top results with the same scores")
    func modesAgree() async throws {
        let table = try await TestLibSQL.makeProducts(rows: 150)
        var cli = try await CLIHarness.make(rows: 1)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        let flags = try CLILibSQLTests().flags(cli, table: table)
        #expect(await cli.run(["run"] + flags + ["--quiet"]).status == 0)
        let query = "Name: Product 77\nCategory: tools\nA fine product number 77 for everyday use"

        func search(_ mode: String, _ extra: [String] = []) async throws -> [(id: Int?, score: Double)] {
            let result = await cli.run(
                ["search", query] + flags + ["--json", "-k", "5", "--search-mode", mode] + extra)
            #expect(result.status == 0, "\(mode): \(result.stderr)")
            return (try result.json()["results"]?.array ?? []).map { ($0["id"]?.int, $0["score"]?.number ?? -9) }
        }
        let exact = try await search("exact")
        #expect(exact.count == 5)
        #expect(exact.first?.id == 77)

        let server = try await search("server")
        #expect(server.map(\.id) == exact.map(\.id))
        for (mine, theirs) in zip(exact, server) { #expect(abs(mine.score - theirs.score) < 1e-5) }

        let missing = await cli.run(["search", query] + flags + ["--search-mode", "index"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("No vector index '\(table)_embeddings_embedding_idx'"), "\(missing.stderr)")
        #expect(missing.stderr.contains("embedsync index create"))

        #expect(await cli.run(["index", "create"] + flags).status == 0)
        let indexed = try await search("index")
        #expect(indexed.first?.id == 77)
        #expect(indexed.prefix(3).map(\.id) == exact.prefix(3).map(\.id))
        for (mine, theirs) in zip(exact, indexed) where mine.id == theirs.id {
            #expect(abs(mine.score - theirs.score) < 1e-5)
        }

        // --where narrows the server's candidates too, and --min-score drops the rest.
        let filtered = try await search("server", ["--where", "id > 100"])
        #expect(filtered.allSatisfy { ($0.id ?? 0) > 100 })
        #expect(filtered.map(\.id) == (try await search("exact", ["--where", "id > 100"])).map(\.id))
        let floor = (exact.last?.score ?? 1) + 1e-4
        #expect(try await search("server", ["--min-score", "\(floor)"]).count == 4)

        let environment = await cli.run(["search", query] + flags, environment: ["EMBEDSYNC_SEARCH_MODE": "server"])
        #expect(environment.status == 0, "\(environment.stderr)")
        let bogus = await cli.run(["search", query] + flags + ["--search-mode", "fastest"])
        #expect(bogus.status == 2)
        #expect(bogus.stderr.contains("--search-mode 'fastest' is not a search mode: use exact, server or index."))
        _ = try await TestLibSQL.client().batch([
            HranaStatement("DROP TABLE \(table)"), HranaStatement("DROP TABLE \(table)_embeddings"),
        ])
        try await cli.shutdown()
    }

    @Test("server and index modes are refused, by name, where the vectors are not in libSQL")
    func refusedElsewhere() async throws {
        let cli = try await CLIHarness.make(rows: 3)
        let result = await cli.run(["search", "anything"] + cli.providerFlags + ["--search-mode", "server"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--search-mode server is for libSQL vectors"), "\(result.stderr)")
        try await cli.shutdown()
    }
}
