import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

/// The real binary against a PostgreSQL server of the test's own: restarted mid-run, and requiring TLS.
@Suite("embedsync binary on PostgreSQL: server restart and TLS", .serialized, .enabled(if: TestPostgres.shouldRun))
struct PostgresServerTests {
    static func makeItems(_ server: PrivatePostgres, rows: Int) async throws {
        try await server.psql("CREATE TABLE items (id bigint PRIMARY KEY, title text NOT NULL)")
        try await server.psql("INSERT INTO items SELECT g, 'Item number ' || g FROM generate_series(1, \(rows)) g")
    }

    static func stored(_ server: PrivatePostgres) async throws -> Int {
        let exists = try await server.psql("SELECT to_regclass('items_embeddings') IS NOT NULL")
        guard exists.hasPrefix("t") else { return 0 }
        return Int(
            try await server.psql("SELECT count(*) FROM items_embeddings").trimmingCharacters(
                in: .whitespaces
                    .union(.newlines))) ?? -1
    }

    @Test("PostgreSQL restarted mid-run: the run ends in bounded time or recovers, a rerun stores every row once")
    func restartMidRun() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: KillAndResumeTests.binary.path))
        let server = try await PrivatePostgres.start()
        try await Self.makeItems(server, rows: 200)
        let cli = try await CLIHarness.make(rows: 1)
        cli.server.closeGate(after: 4)
        let errors = StreamCollector()
        let flags = PostgresFaultTests.flags(server.url, cli)
        let process = try KillAndResumeTests().start(
            flags + ["--quiet", "--database-timeout", "10"], cli, errors: errors.pipe)
        let deadline = Date().addingTimeInterval(120)
        while try await Self.stored(server) < 40 || cli.server.heldRequests < 2, Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await Self.stored(server) == 40)
        try await server.restart()
        cli.server.openGate()
        #expect(
            try await PostgresFaultTests.ended(process), "the run still hangs 90 s after the restart: \(errors.text)")
        #expect([0, 3].contains(process.terminationStatus), "status \(process.terminationStatus): \(errors.text)")
        if process.terminationStatus == 3 { #expect(errors.text.contains("PostgreSQL"), "\(errors.text)") }
        #expect(!errors.text.contains("embedsync@"), "the password is never shown")
        print("postgres restart mid-run: the run ended with status \(process.terminationStatus)")
        let rerun = await cli.run(flags + ["--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try await Self.stored(server) == 200)
        let duplicates = try await server.psql(
            "SELECT count(*) FROM (SELECT id FROM items_embeddings GROUP BY id HAVING count(*) > 1) AS d")
        #expect(duplicates.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(cli.server.stats.inputsEmbedded <= 200 + 2 * 10)
        try await cli.shutdown()
        try await server.stop()
    }

    @Test(
        """
        a server that requires TLS: sslmode=require and verify-ca work; disable is refused; verify-full refuses a \
        certificate for another host
        """
    )
    func tls() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: KillAndResumeTests.binary.path))
        let server = try await PrivatePostgres.start()
        try await Self.makeItems(server, rows: 30)
        let front = try await server.tlsFront(certificateHost: "db.other.example")
        let ca = front.certificateAuthority
        let cli = try await CLIHarness.make(rows: 1)

        let plain = await cli.run(PostgresFaultTests.flags(front.url(query: "sslmode=disable"), cli))
        #expect(plain.status == 3, "\(plain.stderr)")
        #expect(plain.stderr.contains("no encryption"), "the server's refusal is shown: \(plain.stderr)")

        let wrongHost = await cli.run(
            PostgresFaultTests.flags(front.url(query: "sslmode=verify-full&sslrootcert=\(ca)"), cli))
        #expect(wrongHost.status == 3, "\(wrongHost.stderr)")
        #expect(wrongHost.stderr.lowercased().contains("certificate"), "\(wrongHost.stderr)")
        #expect(!wrongHost.stderr.contains("embedsync@"), "the password is never shown")
        #expect(try await Self.stored(server) == 0)
        #expect(cli.server.stats.requests == 0, "nothing was sent to the provider")

        let untrusted = await cli.run(PostgresFaultTests.flags(front.url(query: "sslmode=verify-ca"), cli))
        #expect(untrusted.status == 3, "a private CA is not trusted without sslrootcert: \(untrusted.stderr)")

        let required = await cli.run(PostgresFaultTests.flags(front.url(query: "sslmode=require"), cli))
        #expect(required.status == 0, "\(required.stderr)")
        #expect(try await Self.stored(server) == 30)

        try await server.psql("UPDATE items SET title = title || ' (edited)' WHERE id <= 5")
        let verified = await cli.run(
            PostgresFaultTests.flags(front.url(query: "sslmode=verify-ca&sslrootcert=\(ca)"), cli) + ["--json"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(try verified.json()["embedded"]?.int == 5)
        front.stop()
        try await cli.shutdown()
        try await server.stop()
    }

    @Test("an error whose DETAIL quotes a row (a CHECK violation) is reported without the row's contents")
    func detailNeverCopied() async throws {
        let canary = "SECRET-ROW-CANARY-4411"
        let (url, database) = try await PostgresFaultTests.makeDatabase(rows: 20)
        try await CLIPostgresTests().execute(
            "UPDATE items SET title = 'Private note \(canary)' WHERE id = 7", database: database)
        try await CLIPostgresTests().execute("ALTER TABLE items ADD COLUMN embedding vector(16)", database: database)
        try await CLIPostgresTests().execute(
            """
            ALTER TABLE items ADD CONSTRAINT no_private_vectors CHECK (embedding IS NULL OR title NOT LIKE '%SECRET%')
            """,
            database: database)
        let cli = try await CLIHarness.make(rows: 1)
        let result = await cli.run(
            PostgresFaultTests.flags(url, cli) + ["--target-column", "embedding", "--json"])
        #expect(result.status != 0, "the CHECK constraint refuses row 7's batch")
        #expect(result.stderr.contains("no_private_vectors"), "the constraint is named: \(result.stderr)")
        #expect(!result.stderr.contains(canary) && !result.stdout.contains(canary), "\(result.stderr)")
        let status = await cli.run([
            "status", "--database", url, "--table", "items", "--target-column", "embedding",
            "--failures", "--json",
        ])
        #expect(!status.stdout.contains(canary) && !status.stderr.contains(canary))
        for table in ["embedsync_failures", "embedsync_runs"] {
            let exists = try await CLIPostgresTests.query(
                "SELECT to_regclass('\(table)') IS NOT NULL", database: database)
            guard try exists.first?.decode(Bool.self) == true else { continue }
            let leaked = try await CLIPostgresTests.query(
                "SELECT count(*)::int FROM \(table) AS t WHERE t::text LIKE '%\(canary)%'", database: database)
            #expect(try leaked.first?.decode(Int.self) == 0, "\(table) holds the row's contents")
        }
        try await cli.shutdown()
        try await PostgresFaultTests.dropDatabase(database)
    }
}
