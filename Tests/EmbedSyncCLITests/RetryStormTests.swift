import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

/// Eight workers (real processes) on one PostgreSQL table share one API key, and the provider answers all their
/// first requests at the same instant with 429 and `Retry-After: 2`: none comes back sooner, and their retries reach
/// the provider spread out, not as one wave (a thundering herd would draw the next 429 storm).
@Suite("embedsync binary: eight workers in one 429 storm", .enabled(if: TestPostgres.shouldRun))
struct RetryStormTests {
    @Test("the retries of eight workers told Retry-After: 2 at once arrive after 2 s, spread, and finish the job")
    func eightWorkers() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: KillAndResumeTests.binary.path))
        let (url, database) = try await PostgresFaultTests.makeDatabase(rows: 400)
        let cli = try await CLIHarness.make(rows: 1)
        let workers = 8
        for _ in 0..<workers { cli.server.enqueue(.status(429, retryAfter: "2", message: "Rate limit reached")) }
        cli.server.closeGate(after: 0)
        let processes = try (0..<workers).map { _ in
            try KillAndResumeTests().start(PostgresFaultTests.flags(url, cli) + ["--quiet"], cli)
        }
        // Each worker's first request goes alone (its pacer measures latency first): eight held requests are one
        // per worker. Answer them together.
        let deadline = Date().addingTimeInterval(120)
        while cli.server.heldRequests < workers, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try #require(cli.server.heldRequests == workers, "only \(cli.server.heldRequests) workers reached the provider")
        cli.server.openGate()
        for process in processes {
            #expect(try await PostgresFaultTests.ended(process))
            #expect(process.terminationStatus == 0)
        }
        // A worker's retry resends its first request's inputs; its later requests (other rows) may arrive before
        // another worker's retry, so retries are picked by their inputs, not by their place in the log.
        let arrivals = cli.server.stats.arrivals
        try #require(arrivals.count >= 2 * workers)
        let storm = arrivals[workers - 1].time
        let first = Set(arrivals.prefix(workers).map(\.firstInput))
        let retries = arrivals.dropFirst(workers).filter { first.contains($0.firstInput) }.map(\.time)
        #expect(retries.count == workers, "one retry per worker")
        let earliest = try #require(retries.min())
        let latest = try #require(retries.max())
        #expect(earliest >= storm + 2, "a worker came back before Retry-After: \(retries.map { $0 - storm })")
        // The spread is up to a quarter of the wait (0.5 s here), random per worker: eight draws all within 0.1 s
        // of each other happen about once in 10,000 runs; a herd (no spread) always does.
        #expect(latest - earliest >= 0.1, "the retries came as one wave: \(retries.map { $0 - storm })")
        print(
            "429 storm: 8 workers retried \(String(format: "%.2f", earliest - storm))-"
                + "\(String(format: "%.2f", latest - storm)) s after Retry-After: 2")
        #expect(try await PostgresFaultTests.stored(database) == 400)
        #expect(cli.server.stats.inputsEmbedded == 400, "no row was embedded twice")
        try await cli.shutdown()
        try await PostgresFaultTests.dropDatabase(database)
    }
}
