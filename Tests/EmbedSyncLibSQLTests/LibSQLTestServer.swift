import EmbedSyncCore
import Foundation
import Logging

@testable import EmbedSyncLibSQL

/// The sqld that `scripts/test.sh` starts (`scripts/sqld.sh`): its URL and the folder of minted tokens.
enum LibSQLTestServer {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Whether a server was provided; the project's test command always provides one.
    static var shouldRun: Bool { environment["EMBEDSYNC_TEST_LIBSQL_URL"] != nil || environment["CI"] != nil }

    static var url: String { environment["EMBEDSYNC_TEST_LIBSQL_URL"] ?? "http://127.0.0.1:1" }

    /// A token minted by `scripts/sqld.sh`: `rw`, `ro` or `expired`.
    static func token(_ name: String) -> String {
        guard let folder = environment["EMBEDSYNC_TEST_LIBSQL_TOKENS"],
            let text = try? String(contentsOfFile: folder + "/" + name, encoding: .utf8)
        else { return "" }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let logger = Logger(label: "embedsync.libsql.tests")

    static func client(token: String? = token("rw"), variable: String = "TURSO_AUTH_TOKEN") throws -> HranaClient {
        HranaClient(.init(url: try LibSQLURL(url), authToken: token, tokenVariable: variable), logger: logger)
    }

    /// A fresh table name, so cases share the one server without meeting.
    static func uniqueName(_ base: String) -> String {
        base + "_" + UUID().uuidString.prefix(8).lowercased()
    }

    static func store(source: SourceSpec, target: TargetSpec = .table(nil)) async throws -> LibSQLStore {
        var configuration = LibSQLStore.Configuration(
            url: try LibSQLURL(url), authToken: token("rw"), tokenVariable: "TURSO_AUTH_TOKEN", source: source,
            idColumn: nil, target: target, storeText: true)
        configuration.logger = logger
        return try await LibSQLStore.open(configuration)
    }
}
