import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

@Suite("embedsync configuration: init, embedsync.yaml, .env, environment, --watch")
struct CLIConfigTests {
    @Test(
        "init writes a commented embedsync.yaml from the schema, and run works from it with flags only for the provider"
    )
    func initAndYAML() async throws {
        let cli = try await CLIHarness.make(rows: 25)
        let result = await cli.run([
            "init", "--database", cli.databasePath, "--table", "products", "--provider", "openai-compatible",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let yaml = try String(contentsOfFile: cli.folder.appendingPathComponent("embedsync.yaml").path, encoding: .utf8)
        #expect(yaml.contains("table: products"))
        #expect(yaml.contains("{{#name}}Name: {{name}}{{/name}}"))
        #expect(yaml.contains("# "))
        let again = await cli.run(["init", "--database", cli.databasePath, "--table", "products"])
        #expect(again.status == 2)

        let provider = [
            "--model", "fake-embed", "--dimensions", "16", "--base-url", cli.server.baseURL, "--api-key-env",
            "TEST_PROVIDER_KEY",
        ]
        let run = await cli.run(["run", "--json"] + provider)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["embedded"]?.int == 25)
        try await cli.shutdown()
    }

    @Test("flags win over the environment, the environment over .env and embedsync.yaml")
    func precedence() async throws {
        let cli = try await CLIHarness.make(rows: 5)
        try "run:\n  batch_size: 7\nembedding:\n  dimensions: 99\n".write(
            to: cli.folder.appendingPathComponent("embedsync.yaml"), atomically: true, encoding: .utf8)
        try "EMBEDSYNC_DIMENSIONS=12\nTEST_PROVIDER_KEY=\(CLIHarness.canaryKey)\n".write(
            to: cli.folder.appendingPathComponent(".env"), atomically: true, encoding: .utf8)
        let settings = try Settings(
            flags: [.batchSize: "3"], configPath: nil,
            context: CLIContext(
                environment: ["EMBEDSYNC_BATCH_SIZE": "5"], workingDirectory: cli.folder.path, stdout: .capture(),
                stderr: .capture(),
                stopSignal: StopSignal(), stderrIsTerminal: false))
        #expect(settings.string(.batchSize) == "3")
        #expect(settings.string(.dimensions) == "12")
        #expect(settings.environment["TEST_PROVIDER_KEY"] == CLIHarness.canaryKey)
        let fromFile = try Settings(
            flags: [:], configPath: nil,
            context: CLIContext(
                environment: [:], workingDirectory: cli.folder.path, stdout: .capture(), stderr: .capture(),
                stopSignal: StopSignal(),
                stderrIsTerminal: false))
        #expect(fromFile.string(.batchSize) == "7")
        try await cli.shutdown()
    }

    @Test("an unknown key in embedsync.yaml is a usage error naming it")
    func unknownKey() async throws {
        let cli = try await CLIHarness.make(rows: 3)
        try "embeding:\n  provider: local\n".write(
            to: cli.folder.appendingPathComponent("embedsync.yaml"), atomically: true, encoding: .utf8)
        let result = await cli.run(["estimate"] + cli.providerFlags)
        #expect(result.status == 2)
        #expect(result.stderr.contains("embeding.provider"))
        try await cli.shutdown()
    }

    @Test("run --watch picks up rows added while it polls, and stops cleanly on the stop signal")
    func watch() async throws {
        let cli = try await CLIHarness.make(rows: 10)
        let stop = StopSignal()
        let out = OutputSink.capture()
        let context = CLIContext(
            environment: cli.environment, workingDirectory: cli.folder.path, stdout: out, stderr: .capture(),
            stopSignal: stop,
            stderrIsTerminal: false)
        let flags = cli.providerFlags
        let watcher = Task {
            await CLIContext.$current.withValue(context) {
                await EmbedSyncCLI.run(["run", "--watch", "0.2", "--json"] + flags)
            }
        }
        func stored() -> Int { (try? cli.scalar("SELECT count(*) FROM products_embeddings")) ?? 0 }
        try await waitUntil("the watch loop stored the first 10 rows") { stored() == 10 }
        try cli.execute("INSERT INTO products (id, name, description) VALUES (101, 'Late', 'Added while watching')")
        try await waitUntil("the watch loop stored the row added while it polls") { stored() == 11 }
        stop.raise()
        let status = await watcher.value
        #expect(status == 0)
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == 11)
        try await cli.shutdown()
    }
}

@Suite("embedsync init proposes a template")
struct InitProposalTests {
    @Test("readable fields and meaningful numbers go in; ids, keys, paths, hashes and timestamps stay out")
    func proposal() async throws {
        let cli = try await CLIHarness.make(rows: 1)
        try cli.execute(
            """
            CREATE TABLE tracks (id INTEGER PRIMARY KEY, title TEXT, artist_id INTEGER, bpm INTEGER, price REAL,
              release_year INTEGER, play_count INTEGER, file_path TEXT, sha256 TEXT, created_at TIMESTAMP,
              notes TEXT, embedding F32_BLOB(384))
            """)
        try cli.execute(
            "INSERT INTO tracks VALUES (1, 'Song', 7, 120, 1.99, 1999, 5, '/a.mp3', 'ab', '2020', 'n', NULL)")
        let result = await cli.run(["init", "--database", cli.databasePath, "--table", "tracks"])
        #expect(result.status == 0, "\(result.stderr)")
        let yaml = try String(contentsOfFile: cli.folder.appendingPathComponent("embedsync.yaml").path, encoding: .utf8)
        let template = yaml.components(separatedBy: "template: |\n").last?.components(separatedBy: "\n\n").first ?? ""
        for field in ["title", "bpm", "price", "release_year", "notes"] {
            #expect(template.contains("{{\(field)}}"), "\(field) belongs in:\n\(template)")
        }
        for field in ["artist_id", "play_count", "file_path", "sha256", "created_at", "embedding", "{{id}}"] {
            #expect(!template.contains(field), "\(field) does not belong in:\n\(template)")
        }
        #expect(template.contains("{{#bpm}}BPM: {{bpm}}{{/bpm}}"))
        #expect(yaml.contains("  column: embedding"), "a vector column of the table is proposed as the target")
        let again = await cli.run(["init", "--database", cli.databasePath, "--table", "tracks"])
        #expect(again.status == 2, "nothing is overwritten without --force")
        let forced = await cli.run(["init", "--database", cli.databasePath, "--table", "tracks", "--force"])
        #expect(forced.status == 0)
        try await cli.shutdown()
    }
}
