import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// PostgreSQL going away under a run of the real binary: its backends terminated, or the network to it broken. Each
/// case ends in bounded time (an error naming the database, or a recovery) and a rerun stores every row once.
@Suite("embedsync binary on PostgreSQL: connections lost mid-run", .enabled(if: TestPostgres.shouldRun))
struct PostgresFaultTests {
    /// A database of its own, so terminating its backends touches no other test.
    static func makeDatabase(rows: Int) async throws -> (url: String, database: String) {
        let url = try #require(
            TestPostgres.url, "EMBEDSYNC_TEST_POSTGRES_URL is not set: run the tests with `make test`.")
        let database = "faults_\(UUID().uuidString.prefix(8).lowercased())"
        try await CLIPostgresTests().execute("CREATE DATABASE \(database)")
        try await CLIPostgresTests().execute("CREATE EXTENSION IF NOT EXISTS vector", database: database)
        try await CLIPostgresTests().execute(
            "CREATE TABLE items (id bigint PRIMARY KEY, title text NOT NULL)", database: database)
        try await CLIPostgresTests().execute(
            "INSERT INTO items SELECT g, 'Item number ' || g FROM generate_series(1, \(rows)) g", database: database)
        var components = try #require(URLComponents(string: url))
        components.path = "/" + database
        return (try #require(components.string), database)
    }

    static func dropDatabase(_ database: String) async throws {
        try await CLIPostgresTests().execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
    }

    static func stored(_ database: String) async throws -> Int {
        let exists = try await CLIPostgresTests.query(
            "SELECT to_regclass('items_embeddings') IS NOT NULL", database: database)
        guard try exists.first?.decode(Bool.self) == true else { return 0 }
        return try await CLIPostgresTests.query("SELECT count(*)::int FROM items_embeddings", database: database)
            .first?.decode(Int.self) ?? 0
    }

    static func flags(_ url: String, _ cli: CLIHarness) -> [String] {
        [
            "run", "--database", url, "--table", "items", "--provider", "openai-compatible", "--model", "fake-embed",
            "--dimensions", "16", "--base-url", cli.server.baseURL, "--api-key-env", "TEST_PROVIDER_KEY",
            "--template", "{{title}}", "--batch-size", "10", "--concurrency", "2",
        ]
    }

    /// Waits until 4 batches are stored and 2 more are held at the provider's gate: the run is mid-way.
    static func waitMidRun(_ database: String, _ cli: CLIHarness) async throws {
        let deadline = Date().addingTimeInterval(120)
        while try await Self.stored(database) < 40 || cli.server.heldRequests < 2, Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits up to 90 s for `process` to end; kills it when it did not, and returns whether it ended by itself.
    static func ended(_ process: Process) async throws -> Bool {
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        let ended = !process.isRunning
        if !ended { kill(process.processIdentifier, SIGKILL) }
        await process.exited()
        return ended
    }

    @Test("pg_terminate_backend on every connection of the run: it ends in bounded time, a rerun completes")
    func terminatedBackends() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: KillAndResumeTests.binary.path))
        let (url, database) = try await Self.makeDatabase(rows: 200)
        let cli = try await CLIHarness.make(rows: 1)
        cli.server.closeGate(after: 4)
        let errors = StreamCollector()
        // A transaction the server never answers ends the run after 10 s (postgres-nio's pool can wait forever once
        // the server closed all its connections: about 1 run in 10 did).
        let process = try KillAndResumeTests().start(
            Self.flags(url, cli) + ["--quiet", "--database-timeout", "10"], cli, errors: errors.pipe)
        try await Self.waitMidRun(database, cli)
        #expect(try await Self.stored(database) == 40)
        let terminated = try await CLIPostgresTests.query(
            """
            SELECT count(*)::int FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = '\(database)' AND pid <> pg_backend_pid()) AS t
            """)
        #expect(try terminated.first?.decode(Int.self) ?? 0 >= 1)
        cli.server.openGate()
        #expect(
            try await Self.ended(process),
            "the run still hangs 90 s after its connections were terminated: \(errors.text)")
        // Either it recovered (0) or it stopped with a database error (3) that says so.
        #expect([0, 3].contains(process.terminationStatus), "status \(process.terminationStatus): \(errors.text)")
        if process.terminationStatus == 3 { #expect(errors.text.contains("PostgreSQL"), "\(errors.text)") }
        let rerun = await cli.run(Self.flags(url, cli) + ["--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try await Self.stored(database) == 200)
        #expect(cli.server.stats.inputsEmbedded <= 200 + 2 * 10)
        try await cli.shutdown()
        try await Self.dropDatabase(database)
    }

    @Test("the network to PostgreSQL goes silent mid-run: --database-timeout ends the run with a clear error")
    func silentNetwork() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: KillAndResumeTests.binary.path))
        let (url, database) = try await Self.makeDatabase(rows: 200)
        var components = try #require(URLComponents(string: url))
        let proxy = try await FaultProxy.start(upstreamPort: try #require(components.port))
        components.port = proxy.port
        let proxied = try #require(components.string)
        let cli = try await CLIHarness.make(rows: 1)
        cli.server.closeGate(after: 4)
        let errors = StreamCollector()
        let process = try KillAndResumeTests().start(
            Self.flags(proxied, cli) + ["--quiet", "--database-timeout", "5"], cli, errors: errors.pipe)
        try await Self.waitMidRun(database, cli)
        proxy.silenceAll()
        cli.server.openGate()
        #expect(try await Self.ended(process), "the run still waits 90 s after the network went silent: \(errors.text)")
        #expect(process.terminationStatus == 3, "\(errors.text)")
        #expect(errors.text.contains("did not answer a transaction within 5 s"), "\(errors.text)")
        #expect(!errors.text.contains(":\(components.password ?? "")@"), "the password is never shown")
        // The rows it never confirmed are not stored; a run on a working network finishes the job.
        let rerun = await cli.run(Self.flags(url, cli) + ["--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try await Self.stored(database) == 200)
        try await proxy.shutdown()
        try await cli.shutdown()
        try await Self.dropDatabase(database)
    }

    @Test(
        "SIGINT twice (quit at once) with batches in flight: an immediate rerun takes their claims over and completes")
    func interruptedTwice() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: KillAndResumeTests.binary.path))
        let (url, database) = try await Self.makeDatabase(rows: 200)
        let cli = try await CLIHarness.make(rows: 1)
        cli.server.closeGate(after: 4)
        // A lease far longer than the test: only the dead-holder takeover can free the claims in time.
        let flags = Self.flags(url, cli) + ["--claim-lease", "600"]
        let process = try KillAndResumeTests().start(flags + ["--quiet"], cli)
        try await Self.waitMidRun(database, cli)
        kill(process.processIdentifier, SIGINT)
        try await Task.sleep(for: .milliseconds(200))
        kill(process.processIdentifier, SIGINT)
        #expect(try await Self.ended(process))
        #expect(process.terminationStatus != 0, "quit at once: \(process.terminationStatus)")
        cli.server.openGate()
        let claims = try await CLIPostgresTests.query(
            "SELECT count(*)::int FROM embedsync_claims WHERE expires_at > now()", database: database)
        let left = try claims.first?.decode(Int.self) ?? -1
        #expect(left >= 10, "the held batches' claims outlive the quit run")
        let stored = try await Self.stored(database)
        let rerun = await cli.run(flags + ["--json", "--wait", "20"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try rerun.json()["embedded"]?.int == 200 - stored, "claims left by the quit run: \(left)")
        #expect(try await Self.stored(database) == 200)
        try await cli.shutdown()
        try await Self.dropDatabase(database)
    }
}
