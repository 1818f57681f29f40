import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `run --batch-api` killed with SIGKILL around its submission, through the real binary: nothing is lost and no row is
/// sent twice.
@Suite("embedsync binary: SIGKILL around a Batch API submission")
struct BatchKillTests {
    func start(_ arguments: [String], _ cli: CLIHarness) throws -> Process {
        try KillAndResumeTests().start(arguments, cli)
    }

    /// Whether the binary is built; records why the test cannot run when it is not.
    func binaryBuilt() -> Bool {
        guard FileManager.default.isExecutableFile(atPath: KillAndResumeTests.binary.path) else {
            Issue.record("The embedsync binary is not built: run `swift build` before `swift test`.")
            return false
        }
        return true
    }

    @Test("killed after the batch was created but before its id was recorded: the rerun finds it, creates no other")
    func killedBeforeRecordingTheID() async throws {
        guard binaryBuilt() else { return }
        let cli = try await CLIHarness.make(rows: 40)
        defer { Task { try? await cli.shutdown() } }
        let arguments = ["run"] + cli.providerFlags + ["--batch-api", "--batch-api-size", "20", "--quiet"]
        // The upload is answered; the creation is made at the provider but its answer is held, so the kill lands
        // between the two however slow the machine.
        cli.server.closeGate(after: 1)
        let process = try start(arguments, cli)
        try await waitUntil("the batch is recorded without its id and its creation is held") {
            try cli.scalar("SELECT count(*) FROM embedsync_batches WHERE batch_id IS NULL") == 1
                && cli.server.heldRequests == 1
        }
        kill(process.processIdentifier, SIGKILL)
        await process.exited()
        cli.server.openGate()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(cli.server.batchStats.created.count == 1)

        let rerun = await cli.run(arguments + ["--wait", "--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == 40)
        let stats = cli.server.batchStats
        #expect(stats.created.count == 2, "the first file's batch is found again, the second file gets one")
        #expect(stats.listings > 0)
        #expect(stats.submittedInputs.count == 40 && stats.submittedInputs.values.allSatisfy { $0 == 1 })
        #expect(cli.server.stats.inputsEmbedded == 0)
    }

    @Test("killed while its batches are pending: the rerun applies them and sends nothing again")
    func killedWhilePending() async throws {
        guard binaryBuilt() else { return }
        let cli = try await CLIHarness.make(rows: 40)
        defer { Task { try? await cli.shutdown() } }
        let arguments = ["run"] + cli.providerFlags + ["--batch-api", "--batch-api-size", "20", "--quiet"]
        cli.server.holdBatches()
        let process = try start(arguments + ["--wait"], cli)
        try await waitUntil("both batches are recorded with their ids") {
            try cli.scalar("SELECT count(*) FROM embedsync_batches WHERE batch_id IS NOT NULL") == 2
        }
        kill(process.processIdentifier, SIGKILL)
        await process.exited()
        #expect(try cli.scalar("SELECT count(*) FROM embedsync_batch_requests") == 40)
        cli.server.releaseBatches()

        let rerun = await cli.run(arguments + ["--wait", "--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try rerun.json()["batch"]?["submitted_batches"]?.int == 0)
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == 40)
        #expect(cli.server.batchStats.created.count == 2)
        #expect(cli.server.batchStats.submittedInputs.values.allSatisfy { $0 == 1 })
    }
}

/// The fake provider's Batch API, driven by the official `openai` SDK (PyPI `openai`, installed by `make test`): the
/// wire format EmbedSync is tested against is the one OpenAI's own client speaks.
@Suite("Batch API wire format")
struct BatchWireFormatTests {
    @Test("the openai SDK uploads, creates, polls, lists and reads the result files of a batch")
    func officialClient() async throws {
        let python = LibSQLCompatibilityTests.python
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            Issue.record("No \(python.path): run `make test` (scripts/setup.sh --test installs openai into .venv).")
            return
        }
        let server = try await FakeProviderServer.start(.init(dimensions: 16, apiKey: "sk-batch"))
        defer { Task { try? await server.shutdown() } }
        let process = Process()
        process.executableURL = python
        process.arguments = [
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("openai_batch_client.py")
                .path, server.baseURL, "sk-batch",
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = await output.readToEnd()
        await process.exited()
        let stderr = String(decoding: await errors.readToEnd(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "the openai SDK failed: \(stderr)")
        let result = try LenientJSON.parse(Array(data))
        #expect(
            result["statuses"]?.array?.compactMap(\.string)
                == ["validating", "in_progress", "finalizing", "completed"])
        #expect(result["output"]?.array?.compactMap(\.string) == ["r1", "r3"])
        #expect(result["errors"]?.array?.compactMap(\.string) == ["r2"])
        #expect(result["listed"] == .bool(true))
        #expect(result["counts"]?.array?.compactMap(\.int) == [3, 2, 1])
        #expect(result["vector_length"]?.int == 16)
        #expect(server.batchStats.uploads == 1)
    }
}
