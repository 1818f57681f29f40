import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import GRDB
import Testing

@testable import EmbedSyncCLI

@Suite("embedsync CLI errors")
struct CLIErrorTests {
    static let badInputs: [(String, [String], Int32)] = [
        ("bad --ids", ["--ids", "5-1"], 2),
        ("bad --ids item", ["--ids", "1,,2"], 2),
        ("text --ids item on an integer id column", ["--ids", "x,1"], 2),
        ("target table built to inject SQL", ["--target-table", #"x"; DROP TABLE products; --"#], 2),
        ("target column built to inject SQL", ["--target-column", "embedding) ; DROP TABLE products"], 2),
        ("missing table", ["--table", "nope"], 2),
        ("template names a missing column", ["--template", "{{name}} {{colour}}"], 2),
        ("unknown provider", ["--provider", "cohere"], 2),
        ("zero batch size", ["--batch-size", "0"], 2),
        ("missing database", ["--database", "/nonexistent/app.db"], 2),
    ]

    @Test("bad input gives a clear message, status 2, and leaves the database unchanged", arguments: badInputs.indices)
    func badInput(_ index: Int) async throws {
        let (name, flags, status) = CLIErrorTests.badInputs[index]
        let cli = try await CLIHarness.make(rows: 10)
        let before = try cli.dump()
        let result = await cli.run(["run"] + cli.providerFlags + flags)
        #expect(result.status == status, "\(name): \(result.stderr)")
        #expect(result.stderr.lowercased().contains("error"), "\(name): \(result.stderr)")
        #expect(try cli.dump() == before, "\(name)")
        #expect(cli.server.stats.requests == 0, "\(name)")
        try await cli.shutdown()
    }

    @Test("TEXT ids with a NUL character are refused before anything is sent or written (they could not be stored)")
    func nulInTextIDs() async throws {
        let cli = try await CLIHarness.make(rows: 1)
        let queue = try DatabaseQueue(path: cli.databasePath)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE docs (id TEXT PRIMARY KEY, body TEXT)")
            // Built in SQL: GRDB binds a Swift string only up to its first NUL.
            try db.execute(sql: "INSERT INTO docs VALUES ('a' || char(0) || 'b', 'first'), ('plain', 'second')")
        }
        try await queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.databasePath))
        var flags = cli.providerFlags
        flags[flags.firstIndex(of: "products")!] = "docs"
        flags[flags.firstIndex(of: "--template")! + 1] = "{{body}}"
        let result = await cli.run(["run"] + flags)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(#"'a\0b' contains a NUL character"#), "\(result.stderr)")
        #expect(result.stderr.contains("--id"), "\(result.stderr)")
        #expect(cli.server.stats.requests == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.databasePath)) == before)
        try await cli.shutdown()
    }

    @Test(
        "names with a NUL character in embedsync.yaml are refused with status 2; nothing sent or written",
        arguments: ["target:\n  table: \"emb\\0x\"\n", "source:\n  id: \"id\\0x\"\n"])
    func nulInConfiguredNames(_ yaml: String) async throws {
        let cli = try await CLIHarness.make(rows: 3)
        try yaml.write(
            to: cli.folder.appendingPathComponent("embedsync.yaml"), atomically: true, encoding: .utf8)
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.databasePath))
        let result = await cli.run(["run"] + cli.providerFlags)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("embedsync.yaml") || result.stderr.contains("No column"), "\(result.stderr)")
        #expect(cli.server.stats.requests == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.databasePath)) == before)
        try await cli.shutdown()
    }

    @Test("a missing key is a usage error naming the variable; nothing written")
    func missingKey() async throws {
        let cli = try await CLIHarness.make(rows: 10)
        let before = try cli.dump()
        let result = await cli.run(
            ["run"] + cli.providerFlags.filter { $0 != "TEST_PROVIDER_KEY" && $0 != "--api-key-env" } + [
                "--provider", "openai", "--base-url", cli.server.baseURL,
            ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("OPENAI_API_KEY"))
        #expect(try cli.dump() == before)
        try await cli.shutdown()
    }

    @Test("a wrong key is fatal (status 3), names the variable, never shows a key, and writes nothing")
    func wrongKey() async throws {
        let cli = try await CLIHarness.make(rows: 10)
        let before = try cli.dump()
        let wrong = "sk-wrong-key-0123456789abcdefWXYZ"
        let result = await cli.run(["run"] + cli.providerFlags + ["--json"], environment: ["TEST_PROVIDER_KEY": wrong])
        #expect(result.status == 3)
        #expect(result.stderr.contains("TEST_PROVIDER_KEY"))
        #expect(!result.stderr.contains(wrong) && !result.stdout.contains(wrong))
        #expect(try cli.dump() == before)
        try await cli.shutdown()
    }

    @Test("the API key appears in no output, log line or stored table")
    func canary() async throws {
        let cli = try await CLIHarness.make(rows: 30)
        try cli.execute("UPDATE products SET description = 'POISON' WHERE id = 3")
        var outputs = ""
        for command in [
            ["estimate"], ["run"], ["run", "--json"], ["status", "--failures"], ["status", "--json", "--failures"],
        ] {
            let result = await cli.run(command + cli.providerFlags, environment: ["EMBEDSYNC_LOG_LEVEL": "trace"])
            outputs += result.stdout + result.stderr
        }
        #expect(!outputs.contains(CLIHarness.canaryKey))
        #expect(!outputs.contains(String(CLIHarness.canaryKey.dropFirst(3))))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: cli.databasePath))
        #expect(bytes.range(of: Data(CLIHarness.canaryKey.utf8)) == nil)
        #expect(try !cli.dump().contains(CLIHarness.canaryKey))
        #expect(cli.server.stats.authorizations == ["Bearer \(CLIHarness.canaryKey)"])
        try await cli.shutdown()
    }

    @Test("reset without --yes deletes nothing")
    func resetNeedsYes() async throws {
        let cli = try await CLIHarness.make(rows: 5)
        _ = await cli.run(["run"] + cli.providerFlags)
        let result = await cli.run(["reset"] + cli.providerFlags)
        #expect(result.status == 2)
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == 5)
        let confirmed = await cli.run(["reset", "--yes"] + cli.providerFlags)
        #expect(confirmed.status == 0)
        #expect(try cli.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'products_embeddings'") == 0)
        try await cli.shutdown()
    }
}
