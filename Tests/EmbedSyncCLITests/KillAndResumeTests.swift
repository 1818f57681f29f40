import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Synchronization
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
    func start(_ arguments: [String], _ cli: CLIHarness, output: Pipe? = nil, errors: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.environment = cli.environment
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = errors ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test(
        "a run killed mid-way and rerun stores every row once, with no more inputs than rows plus the batches in flight"
    )
    func killAndResume() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("The embedsync binary is not at \(Self.binary.path): run `swift build` before `swift test`.")
            return
        }
        let cli = try await CLIHarness.make(rows: 400)
        let arguments = ["run"] + cli.providerFlags + ["--batch-size", "10", "--concurrency", "2", "--quiet"]

        // Six batches are answered; later requests wait at the gate, so the kill lands mid-run however slow the
        // machine.
        cli.server.closeGate(after: 6)
        let process = try start(arguments, cli)
        let stored = { try cli.scalar("SELECT count(*) FROM products_embeddings") }
        try await waitUntil("the 6 answered batches are committed and 2 more are in flight") {
            try stored() == 60 && cli.server.heldRequests == 2
        }
        kill(process.processIdentifier, SIGKILL)
        await process.exited()
        cli.server.openGate()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(try stored() == 60)

        let rerun = try start(arguments, cli)
        await rerun.exited()
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
        let cli = try await CLIHarness.make(rows: 400)
        let arguments = ["run"] + cli.providerFlags + ["--batch-size", "10", "--concurrency", "2", "--json"]
        let output = Pipe()
        let errors = StreamCollector()
        cli.server.closeGate(after: 4)
        let process = try start(arguments, cli, output: output, errors: errors.pipe)
        try await waitUntil("4 batches are committed and 2 more are in flight") {
            try cli.scalar("SELECT count(*) FROM products_embeddings") == 40 && cli.server.heldRequests == 2
        }
        kill(process.processIdentifier, SIGTERM)
        // Once the run says it is stopping, the two batches in flight are answered: they commit, no new one starts.
        try await waitUntil("the run acknowledges SIGTERM") { errors.text.contains("Stopping") }
        cli.server.openGate()
        let data = await output.readToEnd()
        await process.exited()
        #expect(process.terminationStatus == 4)
        let summary = try LenientJSON.parse(Array(data))
        #expect(summary["status"]?.string == "stopped_signal")
        let embedded = summary["embedded"]?.int ?? -1
        #expect(embedded == 60, "the batches in flight at SIGTERM commit and no new one starts: \(embedded)")
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == embedded)
        let rerun = await cli.run(arguments)
        #expect(rerun.status == 0)
        #expect(try rerun.json()["embedded"]?.int == 400 - embedded)
        try await cli.shutdown()
    }
}

/// Collects what a child process writes to a pipe, as it arrives.
final class StreamCollector: Sendable {
    let pipe = Pipe()
    private let bytes = Mutex<[UInt8]>([])

    init() {
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.bytes.withLock { $0.append(contentsOf: data) }
        }
    }

    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
}
