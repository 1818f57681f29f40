import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import GRDB
import Testing

@testable import EmbedSyncCLI

/// `estimate` with an OpenAI model counts tokens exactly (cl100k_base), and agrees with what the provider bills.
@Suite("Exact token estimates")
struct ExactTokensTests {
    struct Case: Decodable {
        var text: String
        var tokens: [Int]
    }
    struct Fixture: Decodable { var cases: [Case] }

    /// Reference counts made with Python tiktoken (see Tests/EmbedSyncTiktokenTests/make_fixture.py).
    static func referenceCases() throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../EmbedSyncTiktokenTests/cl100k_fixture.json").standardized
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).cases
    }

    @Test("tokens equal tiktoken's to the token, tokens_exact is true, and the run is billed the same")
    func exact() async throws {
        let template = try TextTemplate("{{body}}")
        // Texts the template renders unchanged, so the reference count is the count of what is sent.
        var seen = Set<String>()
        let cases = try Self.referenceCases().filter {
            template.render(["body": $0.text]) == $0.text && !$0.text.isEmpty && seen.insert($0.text).inserted
        }
        #expect(cases.count > 150)
        let counts = Dictionary(uniqueKeysWithValues: cases.map { ($0.text, $0.tokens.count) })

        let folder = try TestFiles.makeFolder("embedsync-tokens")
        let cache = folder.appendingPathComponent("tiktoken")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: try TestFiles.sharedFile("data/cl100k_base.tiktoken"),
            to: cache.appendingPathComponent("cl100k_base.tiktoken"))
        let server = try await FakeProviderServer.start(.init(dimensions: 16, tokenCount: { counts[$0] ?? -1_000_000 }))
        let database = folder.appendingPathComponent("notes.db").path
        let queue = try DatabaseQueue(path: database)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
            for (index, item) in cases.enumerated() {
                try db.execute(sql: "INSERT INTO notes VALUES (?, ?)", arguments: [index + 1, item.text])
            }
        }
        try queue.close()

        let flags = [
            "--database", database, "--table", "notes", "--template", "{{body}}", "--provider", "openai",
            "--base-url", server.baseURL, "--dimensions", "16",
        ]
        let environment = [
            "TIKTOKEN_CACHE_DIR": cache.path, "OPENAI_API_KEY": "sk-test-0000000000000000", "HOME": folder.path,
        ]
        let out = OutputSink.capture()
        let err = OutputSink.capture()
        let context = CLIContext(
            environment: environment, workingDirectory: folder.path, stdout: out, stderr: err, stopSignal: StopSignal(),
            stderrIsTerminal: false)
        let status = await CLIContext.$current.withValue(context) {
            await EmbedSyncCLI.run(["estimate"] + flags + ["--json"])
        }
        #expect(status == 0, "\(err.captured)")
        let estimate = try LenientJSON.parse(Array(out.captured.utf8))
        let expected = cases.reduce(0) { $0 + $1.tokens.count }
        #expect(estimate["tokens"]?.int == expected)
        #expect(estimate["tokens_exact"] == .bool(true))
        #expect(abs((estimate["cost_usd"]?.number ?? 0) - Double(expected) * 0.02 / 1_000_000) < 1e-12)
        #expect(abs((estimate["batch_cost_usd"]?.number ?? 0) - Double(expected) * 0.01 / 1_000_000) < 1e-12)
        #expect(server.stats.requests == 0)

        let runOut = OutputSink.capture()
        let runContext = CLIContext(
            environment: environment, workingDirectory: folder.path, stdout: runOut, stderr: err,
            stopSignal: StopSignal(), stderrIsTerminal: false)
        let runStatus = await CLIContext.$current.withValue(runContext) {
            await EmbedSyncCLI.run(["run"] + flags + ["--json"])
        }
        #expect(runStatus == 0, "\(err.captured)")
        #expect(try LenientJSON.parse(Array(runOut.captured.utf8))["tokens"]?.int == expected)
        try await server.shutdown()
    }

    @Test(
        """
        --long-inputs chunk sends a 20k-token row as pieces of at most 8192 tokens in one request and stores their \
        mean
        """
    )
    func chunkedRun() async throws {
        let folder = try TestFiles.makeFolder("embedsync-chunk")
        let cache = folder.appendingPathComponent("tiktoken")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: try TestFiles.sharedFile("data/cl100k_base.tiktoken"),
            to: cache.appendingPathComponent("cl100k_base.tiktoken"))
        let server = try await FakeProviderServer.start(.init(dimensions: 16))
        let long = Array(repeating: "embedding", count: 20_000).joined(separator: " ")
        let database = folder.appendingPathComponent("notes.db").path
        let queue = try DatabaseQueue(path: database)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
            try db.execute(sql: "INSERT INTO notes VALUES (1, 'a short note'), (2, ?)", arguments: [long])
        }
        let flags = [
            "--database", database, "--table", "notes", "--template", "{{body}}", "--provider", "openai",
            "--base-url", server.baseURL, "--dimensions", "16", "--json",
        ]
        let environment = [
            "TIKTOKEN_CACHE_DIR": cache.path, "OPENAI_API_KEY": "sk-test-0000000000000000", "HOME": folder.path,
        ]
        func run(_ arguments: [String]) async -> (status: Int32, out: String, err: String) {
            let out = OutputSink.capture()
            let err = OutputSink.capture()
            let context = CLIContext(
                environment: environment, workingDirectory: folder.path, stdout: out, stderr: err,
                stopSignal: StopSignal(), stderrIsTerminal: false)
            let status = await CLIContext.$current.withValue(context) { await EmbedSyncCLI.run(arguments) }
            return (status, out.captured, err.captured)
        }

        let bad = await run(["run"] + flags + ["--long-inputs", "split"])
        #expect(bad.status == 2)
        #expect(bad.err.contains("--long-inputs") && bad.err.contains("truncate, chunk"), "\(bad.err)")
        #expect(server.stats.requests == 0)

        let estimate = try LenientJSON.parse(
            Array(await run(["estimate"] + flags + ["--long-inputs", "chunk"]).out.utf8))
        #expect(estimate["rows_over_token_limit"]?.int == 1)
        #expect(estimate["long_inputs"] == .string("chunk"))
        #expect((estimate["tokens"]?.int ?? 0) > 20_000)

        let result = await run(["run"] + flags + ["--long-inputs", "chunk"])
        #expect(result.status == 0, "\(result.err)")
        let summary = try LenientJSON.parse(Array(result.out.utf8))
        #expect(summary["embedded"]?.int == 2)
        #expect(summary["chunked"]?.int == 1)
        #expect(summary["truncated"]?.int == 0)
        #expect(summary["requests"]?.int == 1)
        let pieces = server.stats.inputsSeen.filter { $0 != "a short note" }
        #expect(pieces.count == 3)
        #expect(pieces.joined() == long)
        let stored = try await queue.read { db in
            try Data.fetchOne(db, sql: "SELECT embedding FROM notes_embeddings WHERE id = 2")
        }
        let blob = try #require(stored)
        let vector = (0..<(blob.count / 4)).map { i in
            Float(
                bitPattern: blob.withUnsafeBytes {
                    UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                })
        }
        #expect(vector.count == 16)
        let norm = vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(norm - 1) < 1e-5)
        for piece in pieces { #expect(vector != FakeProviderServer.vector(for: piece, dimensions: 16)) }
        try queue.close()
        try await server.shutdown()
    }

    @Test("without the ranks file the estimate says it is approximate, and why")
    func approximate() async throws {
        let cli = try await CLIHarness.make(rows: 5)
        let flags = [
            "--database", cli.databasePath, "--table", "products", "--provider", "openai", "--base-url",
            cli.server.baseURL,
        ]
        let result = await cli.run(
            ["estimate"] + flags + ["--json"], environment: ["TIKTOKEN_CACHE_DIR": cli.folder.path])
        let estimate = try result.json()
        #expect(estimate["tokens_exact"] == .bool(false))
        #expect(estimate["approximation"]?.string?.contains("cl100k_base") == true)
        try await cli.shutdown()
    }
}
