import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncTesting
import Foundation
import Logging
import Testing

@testable import EmbedSyncCLI

/// The sqld that `scripts/test.sh` starts with JWT auth (`scripts/sqld.sh`).
enum TestLibSQL {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var url: String? { environment["EMBEDSYNC_TEST_LIBSQL_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var shouldRun: Bool { url != nil || environment["CI"] != nil }

    static func token(_ name: String) -> String {
        let folder = environment["EMBEDSYNC_TEST_LIBSQL_TOKENS"] ?? ""
        return (try? String(contentsOfFile: folder + "/" + name, encoding: .utf8))?.trimmingCharacters(
            in: .whitespacesAndNewlines) ?? ""
    }

    static func client() throws -> HranaClient {
        let url = try #require(url, "EMBEDSYNC_TEST_LIBSQL_URL is not set: run the tests with `make test`.")
        return HranaClient(
            .init(url: try LibSQLURL(url), authToken: token("rw"), tokenVariable: "TURSO_AUTH_TOKEN"),
            logger: Logger(label: "test"))
    }

    /// A fresh `products_<random>` table on the server with `rows` rows shaped like ``CLIHarness``'s.
    static func makeProducts(rows: Int) async throws -> String {
        let table = "products_\(UUID().uuidString.prefix(8).lowercased())"
        var statements = [
            HranaStatement(
                "CREATE TABLE \(table) (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT, category TEXT)")
        ]
        for id in 1...rows {
            statements.append(
                HranaStatement(
                    "INSERT INTO \(table) VALUES (?, ?, ?, ?)",
                    [
                        .integer(Int64(id)), .text("Product \(id)"),
                        .text("A fine product number \(id) for everyday use"),
                        id % 4 == 0 ? .null : .text("tools"),
                    ]))
        }
        _ = try await client().batch(statements)
        return table
    }
}

@Suite("embedsync CLI on libSQL (sqld with JWT auth)", .enabled(if: TestLibSQL.shouldRun))
struct CLILibSQLTests {
    func flags(_ cli: CLIHarness, table: String) throws -> [String] {
        let url = try #require(TestLibSQL.url)
        return [
            "--database", url, "--table", table, "--provider", "openai-compatible", "--model", "fake-embed",
            "--dimensions", "16", "--base-url", cli.server.baseURL, "--api-key-env", "TEST_PROVIDER_KEY",
            "--template", "Name: {{name}}\n{{#category}}Category: {{category}}{{/category}}\n{{description}}",
        ]
    }

    @Test("estimate, run, rerun with no calls, edits and deletes, --ids, status, search equal to sqld's own order")
    func wholeFlow() async throws {
        let table = try await TestLibSQL.makeProducts(rows: 130)
        var cli = try await CLIHarness.make(rows: 1)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        let flags = try flags(cli, table: table)

        let estimate = try await cli.run(["estimate"] + flags + ["--json"]).json()
        #expect(estimate["rows_selected"]?.int == 130)
        let run = await cli.run(["run"] + flags + ["--json", "--batch-size", "32"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["embedded"]?.int == 130)
        let rerun = try await cli.run(["run"] + flags + ["--json"]).json()
        #expect(rerun["embedded"]?.int == 0)
        #expect(rerun["requests"]?.int == 0)

        let client = try TestLibSQL.client()
        _ = try await client.batch([
            HranaStatement("UPDATE \(table) SET name = 'Renamed 5' WHERE id = 5"),
            HranaStatement("DELETE FROM \(table) WHERE id = 6"),
        ])
        let status = try await cli.run(["status"] + flags + ["--json"]).json()
        #expect(status["stale"]?.int == 1)
        #expect(status["orphaned"]?.int == 1)
        let fresh = try await cli.run(["run"] + flags + ["--json"]).json()
        #expect(fresh["embedded"]?.int == 1)
        let forced = try await cli.run(["run"] + flags + ["--json", "--ids", "1-3,7", "--force"]).json()
        #expect(forced["embedded"]?.int == 4)
        let after = try await cli.run(["status"] + flags + ["--json"]).json()
        #expect(after["embedded"]?.int == 129)
        #expect(after["orphaned"]?.int == 0)

        let query = "Name: Product 42\nCategory: tools\nA fine product number 42 for everyday use"
        let search = await cli.run(["search", query] + flags + ["--json", "-k", "10"])
        #expect(search.status == 0, "\(search.stderr)")
        let results = try search.json()["results"]?.array ?? []
        #expect(results.first?["id"]?.int == 42)
        #expect(results.count == 10)
        // sqld's own vector_distance_cos over the F32_BLOBs we stored orders the rows the same way.
        let vector = FakeProviderServer.vector(for: query, dimensions: 16)
        let vectorText = "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
        let theirs = try await client.execute(
            HranaStatement(
                "SELECT id, 1 - vector_distance_cos(embedding, vector32(?)) FROM \(table)_embeddings "
                    + "ORDER BY vector_distance_cos(embedding, vector32(?)), id LIMIT 10",
                [
                    .text("[" + vector.map { "\($0)" }.joined(separator: ",") + "]"),
                    .text("[" + vector.map { "\($0)" }.joined(separator: ",") + "]"),
                ]))
        #expect(theirs.rows.count == 10)
        for (mine, other) in zip(results, theirs.rows) {
            #expect(mine["id"]?.int.map(Int64.init) == other[0].int)
            #expect(abs((mine["score"]?.number ?? 9) - (other[1].double ?? -9)) < 1e-5)
        }
        let python = try await pythonSearch(table: table + "_embeddings", vector: vector)
        #expect(python.count == 10)
        for (mine, other) in zip(results, python) {
            #expect(mine["id"]?.int == other.array?[0].int)
            #expect(abs((mine["score"]?.number ?? 9) - (other.array?[1].number ?? -9)) < 1e-5)
        }
        let types = try await client.execute(
            HranaStatement(
                "SELECT type FROM pragma_table_info(?) WHERE name = 'embedding'", [.text(table + "_embeddings")]))
        #expect(types.rows.first?.first == .text("F32_BLOB(16)"))

        // libSQL's DiskANN index on the F32_BLOB column: vector_top_k finds the row, re-scored exactly.
        let index = await cli.run(["index", "create"] + flags)
        #expect(index.status == 0, "\(index.stderr)")
        let top = try await client.execute(
            HranaStatement(
                "SELECT e.id, 1 - vector_distance_cos(e.embedding, vector32(?)) AS score "
                    + "FROM vector_top_k('\(table)_embeddings_embedding_idx', vector32(?), 5) AS v "
                    + "JOIN \(table)_embeddings AS e ON e.rowid = v.id ORDER BY score DESC",
                [.text(vectorText), .text(vectorText)]))
        #expect(top.rows.first?.first == .integer(42))
        #expect(await cli.run(["index", "drop"] + flags).status == 0)
        _ = try await client.batch([
            HranaStatement("DROP TABLE \(table)"), HranaStatement("DROP TABLE \(table)_embeddings"),
        ])
        try await cli.shutdown()
    }

    @Test("a run whose provider refuses the key leaves the libSQL database as it was (no tables, runs or claims)")
    func refusedKeyWritesNothing() async throws {
        let table = try await TestLibSQL.makeProducts(rows: 6)
        var cli = try await CLIHarness.make(rows: 1)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        let result = await cli.run(
            ["run"] + (try flags(cli, table: table)), environment: ["TEST_PROVIDER_KEY": "sk-wrong-key-0000000000"])
        #expect(result.status == 3, "\(result.stderr)")
        let client = try TestLibSQL.client()
        let target = try await client.execute(
            HranaStatement("SELECT count(*) FROM sqlite_master WHERE name = ?", [.text(table + "_embeddings")]))
        #expect(target.rows.first?.first == .integer(0))
        for bookkeeping in ["embedsync_claims", "embedsync_runs", "embedsync_failures"] {
            let exists = try await client.execute(
                HranaStatement("SELECT count(*) FROM sqlite_master WHERE name = ?", [.text(bookkeeping)]))
            guard exists.rows.first?.first != .integer(0) else { continue }
            let rows = try await client.execute(
                HranaStatement("SELECT count(*) FROM \(bookkeeping) WHERE target = ?", [.text(table + "_embeddings")]))
            #expect(rows.rows.first?.first == .integer(0), "\(bookkeeping) holds rows of the failed run")
        }
        _ = try await client.batch([HranaStatement("DROP TABLE \(table)")])
        try await cli.shutdown()
    }

    @Test("a provider slower than the server's 10 s stream expiry between batches: every batch commits")
    func slowProvider() async throws {
        let table = try await TestLibSQL.makeProducts(rows: 4)
        var cli = try await CLIHarness.make(rows: 1, latency: 10.5)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        let run = await cli.run(
            ["run"] + (try flags(cli, table: table)) + ["--json", "--batch-size", "2", "--concurrency", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["embedded"]?.int == 4)
        _ = try await TestLibSQL.client().batch([
            HranaStatement("DROP TABLE \(table)"), HranaStatement("DROP TABLE \(table)_embeddings"),
        ])
        try await cli.shutdown()
    }

    @Test(
        "wrong, expired and read-only tokens stop the run with a message naming the variable, never the token",
        arguments: ["canary", "expired", "ro"])
    func badTokens(_ kind: String) async throws {
        let table = try await TestLibSQL.makeProducts(rows: 5)
        var cli = try await CLIHarness.make(rows: 1)
        let token = kind == "canary" ? "eyJcanary.\(UUID().uuidString).sig" : TestLibSQL.token(kind)
        cli.environment["MY_DB_TOKEN"] = token
        let result = await cli.run(["run"] + (try flags(cli, table: table)) + ["--auth-token-env", "MY_DB_TOKEN"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("MY_DB_TOKEN"), "\(result.stderr)")
        #expect(!result.stderr.contains(token) && !result.stdout.contains(token))
        if kind == "ro" { #expect(result.stderr.contains("read-only"), "\(result.stderr)") }
        let tables = try await TestLibSQL.client().execute(
            HranaStatement("SELECT count(*) FROM sqlite_master WHERE name = ?", [.text(table + "_embeddings")]))
        #expect(tables.rows.first?.first == .integer(0), "nothing was written")
        _ = try await TestLibSQL.client().batch([HranaStatement("DROP TABLE \(table)")])
        try await cli.shutdown()
    }

    @Test("SQLite rows, vectors in sqld: run, rerun, edit, delete, status and search; the SQLite file is untouched")
    func sqliteRowsLibSQLVectors() async throws {
        let url = try #require(TestLibSQL.url)
        var cli = try await CLIHarness.make(rows: 60)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        let target = "samples_\(UUID().uuidString.prefix(8).lowercased())"
        let flags = cli.providerFlags + ["--target-database", url, "--target-table", target]
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.databasePath))

        let run = await cli.run(["run"] + flags + ["--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["embedded"]?.int == 60)
        #expect(try await cli.run(["run"] + flags + ["--json"]).json()["requests"]?.int == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.databasePath)) == before, "the source is never written")

        try cli.execute("UPDATE products SET name = 'Renamed' WHERE id = 3")
        try cli.execute("DELETE FROM products WHERE id = 4")
        let status = try await cli.run(["status"] + flags + ["--json"]).json()
        #expect(status["stale"]?.int == 1)
        #expect(status["orphaned"]?.int == 1)
        let fresh = try await cli.run(["run"] + flags + ["--json"]).json()
        #expect(fresh["embedded"]?.int == 1)
        #expect(fresh["pruned"]?.int == 1)
        let after = try await cli.run(["status"] + flags + ["--json"]).json()
        #expect(after["embedded"]?.int == 59)
        #expect(after["orphaned"]?.int == 0)

        let query = "Name: Product 13\nCategory: tools\nA fine product number 13 for everyday use"
        let search = await cli.run(["search", query] + flags + ["--json", "-k", "3"])
        #expect(search.status == 0, "\(search.stderr)")
        let results = try search.json()["results"]?.array ?? []
        #expect(results.first?["id"]?.int == 13)
        #expect(results.first?["text"]?.string?.contains("Product 13") == true)
        let local = try cli.scalar("SELECT count(*) FROM sqlite_master WHERE name LIKE 'embedsync%'")
        #expect(local == 0, "no bookkeeping in the source")
        _ = try await TestLibSQL.client().batch([HranaStatement("DROP TABLE \(target)")])
        try await cli.shutdown()
    }

    /// The top 10 by PyPI `libsql`'s own client and `vector_distance_cos` on the server: an independent reader.
    func pythonSearch(table: String, vector: [Float]) async throws -> [LenientJSON] {
        let python = LibSQLCompatibilityTests.python
        try #require(FileManager.default.isExecutableFile(atPath: python.path), "No \(python.path): run `make test`.")
        let process = Process()
        process.executableURL = python
        process.arguments = [
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("libsql_search.py").path,
            try #require(TestLibSQL.url), table, "10", "[" + vector.map { "\($0)" }.joined(separator: ",") + "]",
        ]
        process.environment = ["LIBSQL_AUTH_TOKEN": TestLibSQL.token("rw"), "PATH": "/usr/bin:/bin"]
        let output = Pipe()
        process.standardOutput = output
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let data = await output.readToEnd()
        await process.exited()
        let stderr = String(decoding: await errors.readToEnd(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "libsql failed: \(stderr)")
        return try LenientJSON.parse(Array(data)).array ?? []
    }
}
