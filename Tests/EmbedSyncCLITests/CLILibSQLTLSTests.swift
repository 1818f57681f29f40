import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The test sqld behind a TLS terminator (`scripts/tls_proxy.py`) on 127.0.0.1, with a server certificate that a CA
/// made for the test signed (the openssl CLI, in a temporary folder).
struct TLSFront {
    let folder: URL
    let port: Int
    let process: Process

    var caFile: String { folder.appendingPathComponent("ca.pem").path }
    var otherCAFile: String { folder.appendingPathComponent("other-ca.pem").path }

    static func start() throws -> TLSFront {
        let sqld = try #require(TestLibSQL.url.flatMap { URLComponents(string: $0) })
        let upstream = "\(sqld.host ?? "127.0.0.1"):\(sqld.port ?? 80)"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "libsql-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["ca", "other-ca"] {
            try openssl(
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).pem",
                    "-days", "2", "-subj", "/CN=EmbedSync test \(name)", "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                ], in: folder)
        }
        try openssl(
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
                "/CN=127.0.0.1",
            ], in: folder)
        try Data(
            """
            subjectAltName=IP:127.0.0.1,DNS:localhost
            basicConstraints=CA:FALSE
            keyUsage=digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth

            """.utf8
        ).write(to: folder.appendingPathComponent("server.ext"))
        try openssl(
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                "server.pem", "-days", "2", "-extfile", "server.ext",
            ], in: folder)
        let process = Process()
        process.executableURL = LibSQLCompatibilityTests.python
        process.arguments = [
            TestFiles.packageRoot().appendingPathComponent("scripts/tls_proxy.py").path,
            folder.appendingPathComponent("server.pem").path, folder.appendingPathComponent("server.key").path,
            upstream,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            process.terminate()
            throw EmbedSyncError(.database, "scripts/tls_proxy.py did not print its port")
        }
        return TLSFront(folder: folder, port: port, process: process)
    }

    static func openssl(_ arguments: [String], in folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl \(arguments.prefix(2).joined(separator: " ")) failed")
    }

    func stop() {
        // SIGKILL: a child started from a test thread may inherit a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}

@Suite("embedsync binary on libSQL over TLS (a private CA)", .serialized, .enabled(if: TestLibSQL.shouldRun))
struct CLILibSQLTLSTests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the real binary (TLS is the part an in-process run could fake).
    func embedsync(_ arguments: [String], environment: [String: String]) throws -> Output {
        let binary = KillAndResumeTests.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "Run `swift build` first.")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    func flags(_ cli: CLIHarness, database: String, table: String) -> [String] {
        [
            "--database", database, "--table", table, "--provider", "openai-compatible", "--model", "fake-embed",
            "--dimensions", "16", "--base-url", cli.server.baseURL, "--api-key-env", "TEST_PROVIDER_KEY",
            "--template", "Name: {{name}}\n{{description}}", "--json",
        ]
    }

    @Test("with SSL_CERT_FILE naming the private CA, run over libsql://HOST:PORT and status over https:// work")
    func trustedPrivateCA() async throws {
        let front = try TLSFront.start()
        defer { front.stop() }
        let table = try await TestLibSQL.makeProducts(rows: 20)
        let cli = try await CLIHarness.make(rows: 1)
        var environment = cli.environment
        environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        environment["SSL_CERT_FILE"] = front.caFile

        let run = try embedsync(
            ["run"] + flags(cli, database: "libsql://127.0.0.1:\(front.port)", table: table), environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try LenientJSON.parse(Array(run.stdout.utf8))["embedded"]?.int == 20)
        let status = try embedsync(
            ["status"] + flags(cli, database: "https://127.0.0.1:\(front.port)", table: table),
            environment: environment)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(try LenientJSON.parse(Array(status.stdout.utf8))["embedded"]?.int == 20)
        _ = try await TestLibSQL.client().batch([
            HranaStatement("DROP TABLE \(table)"), HranaStatement("DROP TABLE IF EXISTS \(table)_embeddings"),
        ])
        try await cli.shutdown()
    }

    @Test(
        "an untrusted certificate stops the run with exit 3 naming the certificate problem, writing nothing",
        arguments: [false, true])
    func untrustedCertificate(otherCA: Bool) async throws {
        let front = try TLSFront.start()
        defer { front.stop() }
        let table = try await TestLibSQL.makeProducts(rows: 5)
        let cli = try await CLIHarness.make(rows: 1)
        var environment = cli.environment
        let token = TestLibSQL.token("rw")
        environment["TURSO_AUTH_TOKEN"] = token
        if otherCA { environment["SSL_CERT_FILE"] = front.otherCAFile }

        let run = try embedsync(
            ["run"] + flags(cli, database: "libsql://127.0.0.1:\(front.port)", table: table), environment: environment)
        #expect(run.status == 3)
        #expect(run.stderr.contains("TLS certificate"), "\(run.stderr)")
        #expect(run.stderr.contains("SSL_CERT_FILE"), "\(run.stderr)")
        if otherCA { #expect(run.stderr.contains(front.otherCAFile)) }
        #expect(!token.isEmpty && !run.stderr.contains(token) && !run.stdout.contains(token))
        #expect(cli.server.stats.requests == 0, "nothing was sent to the provider")
        let written = try await TestLibSQL.client().execute(
            HranaStatement("SELECT count(*) FROM sqlite_master WHERE name = ?", [.text("\(table)_embeddings")]))
        #expect(written.rows.first?.first?.int == 0, "nothing was written")
        _ = try await TestLibSQL.client().batch([HranaStatement("DROP TABLE \(table)")])
        try await cli.shutdown()
    }
}
