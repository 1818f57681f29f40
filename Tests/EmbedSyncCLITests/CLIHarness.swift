import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import GRDB
import Testing

@testable import EmbedSyncCLI

/// Runs `embedsync` in-process with a captured stdout/stderr, a chosen environment and working directory.
struct CLIHarness {
    static let canaryKey = "sk-canary-7f3a9c2e5b8d1046aa55ZZ"

    let folder: URL
    let server: FakeProviderServer
    var environment: [String: String]

    var databasePath: String { folder.appendingPathComponent("app.db").path }

    static func make(
        rows: Int, latency: Double = 0, rateLimits: FakeProviderServer.RateLimits? = nil,
        provider configure: (inout FakeProviderServer.Options) -> Void = { _ in }
    ) async throws -> CLIHarness {
        let folder = try TestFiles.makeFolder("embedsync-cli")
        var options = FakeProviderServer.Options(
            dimensions: 16, apiKey: canaryKey, latency: latency, rateLimits: rateLimits)
        configure(&options)
        let server = try await FakeProviderServer.start(options)
        let harness = CLIHarness(
            folder: folder, server: server,
            environment: [
                "TEST_PROVIDER_KEY": canaryKey, "HOME": folder.path, "TMPDIR": folder.path,
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "",
            ])
        try harness.makeDatabase(rows: rows)
        return harness
    }

    func makeDatabase(rows: Int) throws {
        let queue = try DatabaseQueue(path: databasePath)
        try queue.write { db in
            try db.execute(
                sql:
                    """
                    CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT, category \
                    TEXT)
                    """
            )
            for id in 1...rows {
                try db.execute(
                    sql: "INSERT INTO products VALUES (?, ?, ?, ?)",
                    arguments: [
                        id, "Product \(id)", "A fine product number \(id) for everyday use",
                        id % 4 == 0 ? nil : "tools",
                    ])
            }
        }
        try queue.close()
    }

    /// The flags that point at the fake provider.
    var providerFlags: [String] {
        [
            "--database", databasePath, "--table", "products", "--provider", "openai-compatible", "--model",
            "fake-embed",
            "--dimensions", "16", "--base-url", server.baseURL, "--api-key-env", "TEST_PROVIDER_KEY",
            "--template", "Name: {{name}}\n{{#category}}Category: {{category}}{{/category}}\n{{description}}",
        ]
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// The single JSON object printed with `--json`.
        func json() throws -> LenientJSON {
            try LenientJSON.parse(Array(stdout.trimmingCharacters(in: .whitespacesAndNewlines).utf8))
        }
    }

    func run(_ arguments: [String], environment extra: [String: String] = [:]) async -> Result {
        let out = OutputSink.capture()
        let err = OutputSink.capture()
        var environment = self.environment
        for (key, value) in extra { environment[key] = value }
        let context = CLIContext(
            environment: environment, workingDirectory: folder.path, stdout: out, stderr: err, stopSignal: StopSignal(),
            stderrIsTerminal: false)
        let status = await CLIContext.$current.withValue(context) { await EmbedSyncCLI.run(arguments) }
        return Result(status: status, stdout: out.captured, stderr: err.captured)
    }

    func execute(_ sql: String) throws {
        let queue = try DatabaseQueue(path: databasePath)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
    }

    func scalar(_ sql: String) throws -> Int {
        let queue = try DatabaseQueue(path: databasePath)
        defer { try? queue.close() }
        return try queue.read { try Int.fetchOne($0, sql: sql) ?? -1 }
    }

    /// Every table's rows as text, to compare before and after.
    func dump() throws -> String {
        let queue = try DatabaseQueue(path: databasePath)
        defer { try? queue.close() }
        return try queue.read { db in
            var text = ""
            for table in try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            {
                text += "\(table):\n"
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\" ORDER BY 1") { text += "\(row)\n" }
            }
            return text
        }
    }

    func shutdown() async throws {
        try await server.shutdown()
    }
}

/// Waits until `condition` holds, checking every 50 ms. Records a failure naming `what` when `timeout` seconds pass,
/// so a test that waits for a state never carries on quietly without it.
@discardableResult
func waitUntil(
    _ what: String, timeout: Double = 120, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () throws -> Bool
) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if (try? condition()) == true { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("Timed out after \(Int(timeout)) s waiting until \(what).", sourceLocation: sourceLocation)
    return false
}

/// Waits on a child process off the cooperative thread pool (two threads on a 2-core machine): a test that blocks a
/// pool thread while a child runs stalls every other test's awaits, and their deadlines pass on a loaded machine.
extension Process {
    /// Returns once the process has exited.
    func exited() async {
        let process = UncheckedBox(self)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                process.value.waitUntilExit()
                done.resume()
            }
        }
    }
}

extension Pipe {
    /// Everything written to the pipe until its writer closes it.
    func readToEnd() async -> Data {
        let pipe = UncheckedBox(self)
        return await withCheckedContinuation { (done: CheckedContinuation<Data, Never>) in
            Thread.detachNewThread { done.resume(returning: pipe.value.fileHandleForReading.readDataToEndOfFile()) }
        }
    }
}

/// Hands a value to another thread. Safe here: the value is used by that thread only until it resumes the waiter.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
