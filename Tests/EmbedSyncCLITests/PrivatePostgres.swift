import EmbedSyncTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server of a test's own (scripts/postgres.sh with its own data folder and port), for tests that
/// restart the server or change how it accepts connections — which the shared test server must never see.
struct PrivatePostgres {
    let folder: URL
    let url: String

    /// Initialises and starts a new server (a few seconds), with pgvector installed in its `postgres` database.
    static func start() async throws -> PrivatePostgres {
        let folder = try TestFiles.makeFolder("embedsync-pg")
        let url = try await script(folder, ["start"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(url.hasPrefix("postgres://"), "scripts/postgres.sh start printed '\(url)'")
        return PrivatePostgres(folder: folder, url: url)
    }

    var dataFolder: URL { folder.appendingPathComponent("data") }

    /// Runs SQL as the server's owner over its socket; returns psql's unaligned, tuples-only output.
    @discardableResult
    func psql(_ sql: String) async throws -> String {
        try await Self.script(folder, ["psql", "-At", "-c", sql])
    }

    /// Stops the server and starts it again on the same port.
    func restart() async throws {
        _ = try await Self.script(folder, ["restart"])
    }

    func stop() async throws {
        _ = try await Self.script(folder, ["stop"])
        try? FileManager.default.removeItem(at: folder)
    }

    /// A TLS front for this server (scripts/pg_tls_proxy.py: pgserver's PostgreSQL is built without TLS) with a
    /// certificate for `certificateHost` signed by a new CA; it refuses clients that do not ask for TLS as a server
    /// with only `hostssl` lines does, so a run that works through it used TLS.
    func tlsFront(certificateHost: String) async throws -> TLSFront {
        let commands = """
            set -e
            cd "\(folder.path)"
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=EmbedSync test CA" \\
                -keyout ca.key -out ca.crt 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -subj "/CN=\(certificateHost)" -keyout server.key -out server.csr \\
                2>/dev/null
            printf 'subjectAltName=DNS:\(certificateHost)\\n' > san.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext \\
                -out server.crt 2>/dev/null
            """
        _ = try await Self.shell(["/bin/bash", "-c", commands], environment: [:])
        let upstream = try #require(URLComponents(string: url)?.port)
        let process = Process()
        process.executableURL = TestFiles.packageRoot().appendingPathComponent(".venv/bin/python")
        process.arguments = [
            TestFiles.packageRoot().appendingPathComponent("scripts/pg_tls_proxy.py").path, "--upstream-port",
            String(upstream), "--cert", folder.appendingPathComponent("server.crt").path, "--key",
            folder.appendingPathComponent("server.key").path,
        ]
        let output = StreamCollector()
        process.standardOutput = output.pipe
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !output.text.contains("\n"), process.isRunning, Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let port = try #require(Int(output.text.trimmingCharacters(in: .whitespacesAndNewlines)))
        var components = try #require(URLComponents(string: url))
        components.port = port
        return TLSFront(
            process: process, url: try #require(components.string),
            certificateAuthority: folder.appendingPathComponent("ca.crt").path)
    }

    struct TLSFront {
        let process: Process
        /// The server's URL through the front (no query).
        let url: String
        /// The CA that signed the front's certificate (for `sslrootcert`).
        let certificateAuthority: String

        func url(query: String) -> String { url + "?" + query }

        /// SIGKILL: this process may ignore SIGTERM (a ServiceGroup of another test does), and a child inherits that.
        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private static func script(_ folder: URL, _ arguments: [String]) async throws -> String {
        let script = TestFiles.packageRoot().appendingPathComponent("scripts/postgres.sh").path
        return try await shell(["/bin/bash", script] + arguments, environment: ["EMBEDSYNC_PG_DIR": folder.path])
    }

    /// Runs a command without blocking a cooperative thread; returns its stdout, throws with its stderr if it fails.
    static func shell(_ command: [String], environment extra: [String: String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        process.currentDirectoryURL = TestFiles.packageRoot()
        // Files, not pipes: a pipe's last bytes can arrive after the termination handler ran.
        let folder = try TestFiles.makeFolder("embedsync-shell")
        defer { try? FileManager.default.removeItem(at: folder) }
        let outputURL = folder.appendingPathComponent("out")
        let errorsURL = folder.appendingPathComponent("err")
        FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        FileManager.default.createFile(atPath: errorsURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorsURL)
        try process.run()
        // Polled: a terminationHandler is not always called under the test runner (the child stays a zombie).
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        let status = process.terminationStatus
        let errors = (try? String(contentsOf: errorsURL, encoding: .utf8)) ?? ""
        try #require(status == 0, "\(command.joined(separator: " ")) failed (\(status)): \(errors)")
        return try String(contentsOf: outputURL, encoding: .utf8)
    }
}
