import ArgumentParser
import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

/// The words users and scripts read: `--help` of every command and the main error messages, pinned as
/// swift-argument-parser's own tests pin help. After a deliberate change, rerun with `EMBEDSYNC_UPDATE_GOLDEN=1`
/// and review the diff of `Tests/EmbedSyncCLITests/Golden/`.
@Suite("pinned wording")
struct CLIWordingTests {
    static let commands: [(name: String, type: any ParsableCommand.Type)] = [
        ("embedsync", EmbedSyncCommand.self), ("init", InitCommand.self), ("estimate", EstimateCommand.self),
        ("run", RunCommand.self), ("status", StatusCommand.self), ("search", SearchCommand.self),
        ("index", IndexCommand.self), ("serve", ServeCommand.self), ("reset", ResetCommand.self),
        ("doctor", DoctorCommand.self), ("model-install", ModelCommand.Install.self),
    ]

    @Test("--help", arguments: commands.indices)
    func help(_ index: Int) throws {
        let (name, type) = CLIWordingTests.commands[index]
        let text = EmbedSyncCommand.helpMessage(for: type, columns: 120)
        try CLIWordingTests.compare(text, golden: "help-\(name).txt")
    }

    /// One bad input per main kind of error, each the exact line the user reads.
    static let errors: [(name: String, command: [String], flags: [String])] = [
        ("missing-table", ["run"], ["--table", "nope"]),
        ("missing-database", ["run"], ["--database", "/nonexistent/app.db"]),
        ("unknown-provider", ["run"], ["--provider", "cohere"]),
        ("zero-batch-size", ["run"], ["--batch-size", "0"]),
        ("reversed-ids", ["run"], ["--ids", "5-1"]),
        ("missing-id-column", ["run"], ["--id", "nope"]),
        ("template-column", ["run"], ["--template", "{{name}} {{colour}}"]),
        ("target-is-source", ["run"], ["--target-table", "products"]),
        ("bad-where", ["search", "tools"], ["--where", "nosuchcolumn = 1"]),
        ("serve-exposed-without-token", ["serve"], ["--host", "0.0.0.0"]),
    ]

    @Test("error messages", arguments: errors.indices)
    func error(_ index: Int) async throws {
        let (name, command, flags) = CLIWordingTests.errors[index]
        let cli = try await CLIHarness.make(rows: 4)
        if command.first == "search" {
            let fill = await cli.run(["run"] + cli.providerFlags)
            #expect(fill.status == 0, "\(fill.stderr)")
        }
        let result = await cli.run(command + cli.providerFlags + flags)
        try await cli.shutdown()
        #expect(result.status == 2, "\(name): \(result.stderr)")
        let text = result.stderr.replacingOccurrences(of: cli.folder.path, with: "<folder>")
        try CLIWordingTests.compare(text, golden: "error-\(name).txt")
    }

    @Test("every parameter the library names is a flag of the CLI")
    func parametersAreFlags() {
        let help = CLIWordingTests.commands.map { EmbedSyncCommand.helpMessage(for: $0.type, columns: 200) }.joined()
        for parameter in Parameter.allCases {
            let listed = help.contains(parameter.flag + " ") || help.contains(parameter.flag + ",")
            #expect(listed, "\(parameter) → \(parameter.flag)")
        }
    }

    static func compare(_ text: String, golden name: String, sourceFile: String = #filePath) throws {
        let url = URL(fileURLWithPath: sourceFile).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
        if ProcessInfo.processInfo.environment["EMBEDSYNC_UPDATE_GOLDEN"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        if text != expected {
            let got = text.split(separator: "\n", omittingEmptySubsequences: false)
            let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let line =
                zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
            Issue.record(
                """
                \(name) differs at line \(line + 1):
                  got:  \(line < got.count ? String(got[line]) : "<end>")
                  want: \(line < want.count ? String(want[line]) : "<end>")
                (rerun with EMBEDSYNC_UPDATE_GOLDEN=1 after a deliberate change)
                """)
        }
    }
}

@Suite("version")
struct VersionTests {
    @Test("the version the binary reports is the one at the top of CHANGELOG.md")
    func changelogVersion() throws {
        let changelog = try String(
            contentsOf: TestFiles.packageRoot().appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let heading = try #require(changelog.split(separator: "\n").first { $0.hasPrefix("## ") })
        let version = heading.dropFirst(3).split(separator: " ").first.map(String.init)
        #expect(version == EmbedSyncCommand.configuration.version)
    }
}
