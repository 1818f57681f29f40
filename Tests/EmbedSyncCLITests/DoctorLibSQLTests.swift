import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

/// `embedsync doctor` on a remote libSQL database (sqld with JWT auth): reachable with the token, and without it a
/// failing line that names the token's variable. The token is never printed.
@Suite("embedsync doctor on libSQL", .enabled(if: TestLibSQL.shouldRun))
struct DoctorLibSQLTests {
    @Test("with the token: every check passes, disk is skipped; without it: database fails naming TURSO_AUTH_TOKEN")
    func tokenOrNot() async throws {
        let table = try await TestLibSQL.makeProducts(rows: 3)
        var cli = try await CLIHarness.make(rows: 1)
        let flags = try CLILibSQLTests().flags(cli, table: table) + ["--json"]
        let anonymous = await cli.run(["doctor"] + flags)
        cli.environment["TURSO_AUTH_TOKEN"] = TestLibSQL.token("rw")
        let result = await cli.run(["doctor"] + flags)
        try await cli.shutdown()
        _ = try await TestLibSQL.client().batch([HranaStatement("DROP TABLE \(table)")])

        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let checks = try DoctorTests.checks(result)
        #expect(checks["database"]?.detail.hasPrefix("libSQL ") == true, "\(checks["database"]?.detail ?? "")")
        #expect(checks["disk"]?.status == "skip")
        #expect(checks["target"]?.status == "ok")
        DoctorTests.expectNoKey(result, [CLIHarness.canaryKey, TestLibSQL.token("rw")])

        #expect(anonymous.status == 1, "\(anonymous.stdout)")
        let failed = try DoctorTests.checks(anonymous).filter { $0.value.status == "fail" }
        #expect(failed.keys.sorted() == ["database"], "\(failed)")
        #expect(failed["database"]?.detail.contains("TURSO_AUTH_TOKEN") == true, "\(failed)")
    }
}
