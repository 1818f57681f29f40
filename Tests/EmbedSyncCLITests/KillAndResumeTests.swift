import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// End-to-end through the real `embedsync` binary (built by `swift build` before the tests run).
@Suite("embedsync binary: SIGKILL and resume")
struct KillAndResumeTests {
    static var binary: URL {
        TestFiles.packageRoot().appendingPathComponent(".build/debug/embedsync")
    }

    /// Starts the binary with the harness's environment; stdout goes to `output` when given.
    func start(_ arguments: [String], _ cli: CLIHarness, output: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.environment = cli.environment
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits until at least `rows` vectors are stored (or 20 s pass).
    func waitForStored(_ rows: Int, _ cli: CLIHarness) async throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            if (try? cli.scalar("SELECT count(*) FROM products_embeddings")) ?? 0 >= rows { return }
        }
    }

    @Test("a run killed mid-way and rerun stores every row once, with no more inputs than rows plus the batches in flight")
    func killAndResume() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("The embedsync binary is not at \(Self.binary.path): run `swift build` before `swift test`.")
            return
        }
        let cli = try await CLIHarness.make(rows: 400, latency: 0.2)
        let arguments = ["run"] + cli.providerFlags + ["--batch-size", "10", "--concurrency", "2", "--quiet"]

        let process = try start(arguments, cli)
        // Wait until some batches have committed, then kill without warning.
        try await waitForStored(60, cli)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let storedAtKill = try cli.scalar("SELECT count(*) FROM products_embeddings")
        #expect(storedAtKill > 0 && storedAtKill < 400, "killed too late or too early: \(storedAtKill) rows stored")

        let rerun = try start(arguments, cli)
        rerun.waitUntilExit()
        #expect(rerun.terminationStatus == 0)

        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == 400)
        #expect(try cli.scalar("SELECT count(DISTINCT id) FROM products_embeddings") == 400)
        let stats = cli.server.stats
        // In flight at the kill: at most `concurrency` batches of `batch-size` inputs.
        #expect(stats.inputsEmbedded <= 400 + 2 * 10, "provider saw \(stats.inputsEmbedded) inputs for 400 rows")
        #expect(stats.embeddedCounts.values.allSatisfy { $0 <= 2 })
        try await cli.shutdown()
    }

    @Test("SIGTERM stops after the batches in flight commit, with status 4, and the rerun completes")
    func sigterm() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("The embedsync binary is not at \(Self.binary.path): run `swift build` before `swift test`.")
            return
        }
        let cli = try await CLIHarness.make(rows: 400, latency: 0.25)
        let arguments = ["run"] + cli.providerFlags + ["--batch-size", "10", "--concurrency", "2", "--json"]
        let output = Pipe()
        let process = try start(arguments, cli, output: output)
        try await waitForStored(40, cli)
        kill(process.processIdentifier, SIGTERM)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 4)
        let summary = try LenientJSON.parse(Array(data))
        #expect(summary["status"]?.string == "stopped_signal")
        let embedded = summary["embedded"]?.int ?? -1
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == embedded)
        let rerun = await cli.run(arguments)
        #expect(rerun.status == 0)
        #expect(try rerun.json()["embedded"]?.int == 400 - embedded)
        try await cli.shutdown()
    }
}
