import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

@Suite("embedsync changes (change capture) through the CLI")
struct CLIChangesTests {
    @Test("enable, a full check, then runs that read only changed rows; status shows what is pending; disable")
    func captureFlow() async throws {
        let cli = try await CLIHarness.make(rows: 200)
        defer { Task { try? await cli.shutdown() } }
        let off = await cli.run(["changes", "status"] + cli.providerFlags + ["--json"])
        #expect(off.status == 0, "\(off.stderr)")
        #expect(off.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "null")

        let enable = await cli.run(["changes", "enable"] + cli.providerFlags)
        #expect(enable.status == 0, "\(enable.stderr)")
        let first = try await cli.run(["run"] + cli.providerFlags + ["--json"]).json()
        #expect(first["capture"] == .string("full_check"))
        #expect(first["embedded"]?.int == 200)

        try cli.execute("UPDATE products SET description = 'changed' WHERE id IN (5, 6, 7)")
        try cli.execute("DELETE FROM products WHERE id = 8")
        let status = try await cli.run(["status"] + cli.providerFlags + ["--json"]).json()
        #expect(status["change_capture"]?["pending"]?.int == 4)
        #expect(status["stale"]?.int == 3)

        let inputs = cli.server.stats.inputsEmbedded
        let second = try await cli.run(["run"] + cli.providerFlags + ["--json"]).json()
        #expect(second["capture"] == .string("changes"))
        #expect(second["selected"]?.int == 3)
        #expect(second["pruned"]?.int == 1)
        #expect(cli.server.stats.inputsEmbedded == inputs + 3)
        let pending = try await cli.run(["changes", "status"] + cli.providerFlags + ["--json"]).json()
        #expect(pending["pending"]?.int == 0)
        #expect(pending["last_full_check"]?.number != nil)

        let forced = try await cli.run(["run"] + cli.providerFlags + ["--json", "--full-check"]).json()
        #expect(forced["capture"] == .string("full_check"))
        #expect(forced["selected"]?.int == 0)

        let disable = await cli.run(["changes", "disable"] + cli.providerFlags)
        #expect(disable.status == 0)
        #expect(disable.stdout.contains("off"))
        #expect(try cli.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'") == 0)
        let plain = try await cli.run(["run"] + cli.providerFlags + ["--json"]).json()
        #expect(plain["capture"] == nil)
    }

    @Test("a query source cannot capture changes: status 2, and nothing is installed")
    func querySourceRefused() async throws {
        let cli = try await CLIHarness.make(rows: 5)
        defer { Task { try? await cli.shutdown() } }
        var flags = cli.providerFlags
        let table = flags.firstIndex(of: "--table")!
        flags.replaceSubrange(
            table...(table + 1), with: ["--query", "SELECT id, name, description, category FROM products"])
        let before = try cli.dump()
        let result = await cli.run(["changes", "enable"] + flags)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--table"), "\(result.stderr)")
        #expect(try cli.dump() == before)
    }
}
