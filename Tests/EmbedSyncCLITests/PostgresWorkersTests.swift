import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Several real `embedsync run` processes on one PostgreSQL table, one SIGKILLed mid-run.
@Suite("embedsync workers on PostgreSQL", .enabled(if: TestPostgres.shouldRun))
struct PostgresWorkersTests {
    @Test(
        """
        four workers, one killed: after a rerun every row of 1000 is stored once; no input billed twice beyond the \
        killed worker's batches in flight
        """
    )
    func fourWorkersOneKilled() async throws {
        let url = try #require(
            TestPostgres.url, "EMBEDSYNC_TEST_POSTGRES_URL is not set: run the tests with `make test`.")
        let binary = TestFiles.packageRoot().appendingPathComponent(".build/debug/embedsync")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "run `swift build` before the tests")
        let table = "work_\(UUID().uuidString.prefix(8).lowercased())"
        let sql = CLIPostgresTests()
        try await sql.execute("CREATE TABLE \(table) (id bigint PRIMARY KEY, title text NOT NULL)")
        try await sql.execute("INSERT INTO \(table) SELECT g, 'Item number ' || g FROM generate_series(1, 1000) g")
        let cli = try await CLIHarness.make(rows: 1, latency: 0.05)
        let flags = [
            "run", "--database", url, "--table", table, "--provider", "openai-compatible", "--model", "fake-embed",
            "--dimensions", "16",
            "--base-url", cli.server.baseURL, "--api-key-env", "TEST_PROVIDER_KEY", "--template", "{{title}}",
            "--batch-size", "10",
            "--concurrency", "2", "--claim-lease", "600", "--quiet",
        ]
        func start() throws -> Process {
            let process = Process()
            process.executableURL = binary
            process.arguments = flags
            process.environment = cli.environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        // Twenty batches are answered, then requests wait at the gate: every worker has claims in flight at the kill.
        cli.server.closeGate(after: 20)
        let workers = try (0..<4).map { _ in try start() }
        try await waitUntil("the workers fill the gate with batches in flight") { cli.server.heldRequests >= 4 }
        // Every claim at the kill: the killed worker's rows in flight are among them.
        let claimedAtKill = Set(
            try await CLIPostgresTests.query(
                "SELECT row_id FROM embedsync_claims WHERE target = '\(table)_embeddings'"
            ).map { try $0.decode(String.self) })
        kill(workers[0].processIdentifier, SIGKILL)
        await workers[0].exited()
        cli.server.openGate()
        for worker in workers { await worker.exited() }
        #expect(workers[0].terminationReason == .uncaughtSignal)
        for worker in workers.dropFirst() { #expect(worker.terminationStatus == 0) }

        // The killed worker's claims die with its connections (the lease is 600 s, so nothing lapses): the live
        // workers take its rows over, and a rerun right after the crash has nothing left to wait for.
        let rerun = try start()
        await rerun.exited()
        #expect(rerun.terminationStatus == 0)
        let status = await cli.run(
            ["status", "--database", url, "--table", table]
                + Array(flags[5...]).filter {
                    !["--quiet", "--concurrency", "2", "--batch-size", "10", "--claim-lease", "600"].contains($0)
                } + ["--json"])
        let json = try status.json()
        #expect(json["embedded"]?.int == 1000, "\(status.stderr)")
        #expect(json["missing"]?.int == 0)
        let stats = cli.server.stats
        // Billed twice only for what the killed worker had in flight (how much that was depends on timing: a batch
        // answered and not yet committed counts too), never anything else.
        let twice = Set(
            stats.embeddedCounts.filter { $0.value == 2 }.map {
                $0.key.replacingOccurrences(of: "Item number ", with: "")
            })
        // Two workers starting together once both embedded the first batch (rows 1-10): the second's claim waited
        // for the first's first commit and then read a stale "no target yet" (see PostgresStore.claim).
        #expect(
            twice.isSubset(of: claimedAtKill),
            "billed twice outside the claims in flight at the kill: \(twice.subtracting(claimedAtKill))")
        #expect(
            stats.inputsEmbedded <= 1000 + 2 * 10,
            "provider embedded \(stats.inputsEmbedded) inputs for 1000 rows (the killed worker had 2 batches of 10)")
        #expect(stats.embeddedCounts.values.allSatisfy { $0 <= 2 })
        try await sql.execute("DROP TABLE \(table) CASCADE")
        try await cli.shutdown()
    }
}
