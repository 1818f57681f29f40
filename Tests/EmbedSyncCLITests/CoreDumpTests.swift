import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Where this machine's kernel writes core files.
enum CoreFiles {
    /// Whether a crashing process's core goes to a file in its working directory (`core_pattern` a plain name).
    static var landInWorkingDirectory: Bool {
        guard let pattern = try? String(contentsOfFile: "/proc/sys/kernel/core_pattern", encoding: .utf8) else {
            return false
        }
        let trimmed = pattern.trimmingCharacters(in: .whitespacesAndNewlines)
        return !trimmed.isEmpty && !trimmed.hasPrefix("|") && !trimmed.contains("/")
    }
}

/// A crash of the real binary while it holds an API key: with core files on (`ulimit -c unlimited`), no core file
/// is written, so the key never lands on disk — unless `EMBEDSYNC_CORE_DUMPS=1` asks for one, and then that core
/// does hold the key (which shows what the default protects against, and that this test can see a core).
@Suite(
    "embedsync binary: no secret in a core file", .serialized,
    .enabled(if: CoreFiles.landInWorkingDirectory, "this machine does not write core files to the cwd"))
struct CoreDumpTests {
    struct Crash {
        /// The binary's "Max core file size" line from /proc/PID/limits, read while it held the key.
        var limits: String
        /// The files left in its working directory whose names start with "core".
        var cores: [URL]
    }

    /// Starts a run under `ulimit -c unlimited` in an empty folder, waits until its first request (carrying the key)
    /// is held at the fake provider, then sends SIGSEGV.
    func crash(environment extra: [String: String]) async throws -> Crash {
        try #require(FileManager.default.isExecutableFile(atPath: KillAndResumeTests.binary.path))
        let cli = try await CLIHarness.make(rows: 40)
        cli.server.closeGate(after: 0)
        let folder = cli.folder.appendingPathComponent("cwd")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments =
            ["-c", "ulimit -c unlimited && exec \"$0\" \"$@\"", KillAndResumeTests.binary.path, "run"]
            + cli.providerFlags + ["--batch-size", "10", "--concurrency", "1", "--quiet"]
        var environment = cli.environment.merging(extra) { _, new in new }
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while cli.server.heldRequests < 1, process.isRunning, Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(cli.server.heldRequests >= 1, "the run never sent its first request")
        let limits =
            (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("Max core file size") }.map(String.init) ?? ""
        kill(process.processIdentifier, SIGSEGV)
        process.waitUntilExit()
        cli.server.openGate()
        let cores = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasPrefix("core") }
        try await cli.shutdown()
        return Crash(limits: limits, cores: cores)
    }

    static func holdsCanary(_ file: URL) throws -> Bool {
        let bytes = try Data(contentsOf: file)
        return bytes.range(of: Data(CLIHarness.canaryKey.utf8)) != nil
    }

    @Test("by default a crash leaves no core file: the core limit is 0, soft and hard")
    func noCoreByDefault() async throws {
        let crash = try await crash(environment: [:])
        #expect(
            crash.limits.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"],
            "limits: \(crash.limits)")
        #expect(crash.cores.isEmpty, "core files written: \(crash.cores.map(\.lastPathComponent))")
        for core in crash.cores { #expect(try !Self.holdsCanary(core), "the key is in \(core.lastPathComponent)") }
    }

    @Test("EMBEDSYNC_CORE_DUMPS=1 keeps core files, and such a core holds the key")
    func coreWhenAsked() async throws {
        let crash = try await crash(environment: ["EMBEDSYNC_CORE_DUMPS": "1"])
        #expect(!crash.limits.isEmpty && !crash.limits.contains(" 0 "), "limits: \(crash.limits)")
        try #require(crash.cores.count == 1, "expected one core file, found \(crash.cores.map(\.lastPathComponent))")
        #expect(try Self.holdsCanary(crash.cores[0]))
    }
}
