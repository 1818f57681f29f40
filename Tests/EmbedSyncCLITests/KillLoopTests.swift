import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import GRDB
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SPEC §6 under repeated crashes: one backfill through the real binary, SIGKILLed 40 times at random moments (right
/// after start, mid-batch, just after a commit), then run to the end. The figures go to docs/reliability.md.
@Suite("embedsync binary: a kill loop")
struct KillLoopTests {
    static let kills = 40
    static let rows = 3000
    static let batch = 10
    static let concurrency = 2

    /// Runs the loop: each round lets a random 0-4 requests through the provider's gate and holds the rest, starts the
    /// binary and kills it either at a random time after start (while it starts, scans, or waits) or a random moment
    /// after its next commit. The gate bounds each round's progress however the machine schedules it, so the kills
    /// stay spread through the backfill. Returns how many rounds were killed while rows were still missing.
    static func killLoop(
        arguments: [String], environment: [String: String], server: FakeProviderServer,
        stored: @escaping @Sendable () async throws -> Int
    ) async throws -> Int {
        var generator = SystemRandomNumberGenerator()
        var midBackfill = 0
        for round in 0..<kills {
            let before = try await stored()
            server.closeGate(after: Int.random(in: 0...4, using: &generator))
            let process = Process()
            process.executableURL = KillAndResumeTests.binary
            process.arguments = arguments
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            if round % 2 == 0 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...400, using: &generator)))
            } else {
                // After the next commit: the kill lands between commits, or inside the next batch's transaction.
                let deadline = Date().addingTimeInterval(120)
                while try await stored() <= before, server.heldRequests == 0, process.isRunning {
                    guard Date() < deadline else {
                        Issue.record("round \(round) committed nothing in 120 s")
                        break
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...30, using: &generator)))
            }
            if before < rows { midBackfill += 1 }
            kill(process.processIdentifier, SIGKILL)
            try await waitUntil("round \(round)'s process exits", timeout: 60) { !process.isRunning }
            server.openGate()
        }
        return midBackfill
    }

    @Test("SQLite: 40 SIGKILLs through one backfill, then a run: every row once with its own text's vector")
    func sqlite() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: KillAndResumeTests.binary.path),
            "run `swift build` before `swift test`")
        let cli = try await CLIHarness.make(rows: Self.rows, latency: 0.05)
        let arguments =
            ["run"] + cli.providerFlags + [
                "--batch-size", "\(Self.batch)", "--concurrency", "\(Self.concurrency)", "--quiet",
            ]
        let path = cli.databasePath
        let midBackfill = try await Self.killLoop(
            arguments: arguments, environment: cli.environment, server: cli.server
        ) {
            try Self.count(path)
        }
        #expect(midBackfill == Self.kills, "every kill lands mid-backfill (\(midBackfill))")
        let final = await cli.run(arguments + ["--json"])
        #expect(final.status == 0, "\(final.stderr)")

        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try await queue.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM products_embeddings") == Self.rows)
            #expect(try Int.fetchOne(db, sql: "SELECT count(DISTINCT id) FROM products_embeddings") == Self.rows)
            var wrong = 0
            for row in try Row.fetchAll(db, sql: "SELECT id, text, embedding FROM products_embeddings") {
                let id: Int64 = row["id"]
                let text: String = row["text"]
                let vector = VectorCodec.decode(row["embedding"]) ?? []
                if !text.hasPrefix("Name: Product \(id)\n")
                    || vector != FakeProviderServer.vector(for: text, dimensions: 16)
                {
                    wrong += 1
                }
            }
            #expect(wrong == 0, "\(wrong) rows hold another text or another text's vector")
        }
        let stats = cli.server.stats
        let rebilled = stats.inputsEmbedded - Self.rows
        // Each kill loses at most the batches in flight.
        #expect(rebilled <= Self.kills * Self.concurrency * Self.batch, "re-billed \(rebilled) inputs")
        print(
            "kill loop (SQLite): \(Self.kills) kills, \(midBackfill) mid-backfill, 0 rows lost, re-billed \(rebilled)")
        try await cli.shutdown()
    }

    static func count(_ path: String) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        // A killed writer can leave the WAL index to be recovered by the next connection: wait for it, never fail.
        configuration.busyMode = .timeout(30)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            guard try db.tableExists("products_embeddings") else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM products_embeddings") ?? 0
        }
    }
}
