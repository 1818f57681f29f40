import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

/// A SQLite file written by EmbedSync, queried by libSQL's own engine (PyPI `libsql`, installed by `make test`).
@Suite("libSQL compatibility")
struct LibSQLCompatibilityTests {
    static var python: URL { TestFiles.packageRoot().appendingPathComponent(".venv/bin/python") }

    @Test("vector_distance_cos(embedding, vector32(?)) equals 1 − our score, same order")
    func libsqlAgrees() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            Issue.record(
                "No \(Self.python.path): run `make test` (scripts/setup.sh --test installs libsql into .venv).")
            return
        }
        let cli = try await CLIHarness.make(rows: 150)
        #expect(await cli.run(["run"] + cli.providerFlags).status == 0)
        let query = "Name: Product 42\nCategory: tools\nA fine product number 42 for everyday use"
        let ours = try await cli.run(["search", query] + cli.providerFlags + ["--json", "-k", "10"]).json()
        let results = ours["results"]?.array ?? []
        #expect(results.count == 10)

        let vector = FakeProviderServer.vector(for: query, dimensions: 16)
        let process = Process()
        process.executableURL = Self.python
        process.arguments = [
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("libsql_search.py").path,
            cli.databasePath, "products_embeddings", "10", "[" + vector.map { "\($0)" }.joined(separator: ",") + "]",
        ]
        let output = Pipe()
        process.standardOutput = output
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let data = await output.readToEnd()
        await process.exited()
        let stderr = String(decoding: await errors.readToEnd(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "libsql failed: \(stderr)")
        let theirs = try LenientJSON.parse(Array(data)).array ?? []
        #expect(theirs.count == 10)
        for (mine, other) in zip(results, theirs) {
            #expect(mine["id"]?.int == other.array?[0].int)
            #expect(abs((mine["score"]?.number ?? 9) - (other.array?[1].number ?? -9)) < 1e-5)
        }
        try await cli.shutdown()
    }
}
