import AsyncHTTPClient
import EmbedSyncCore
import Foundation
import Testing

@testable import EmbedSyncLibSQL

@Suite("Hrana values and URLs")
struct HranaValueTests {
    @Test("integers travel as strings, blobs as base64, and unpadded base64 is re-padded")
    func encoding() throws {
        let json = String(
            decoding: try JSONEncoder().encode([HranaValue.integer(1 << 62), .blob(Data([1, 2]))]), as: UTF8.self)
        #expect(json.contains("\"value\":\"4611686018427387904\""))
        #expect(json.contains("\"base64\":\"AQI=\""))
        let decoded = try JSONDecoder().decode(
            [HranaValue].self,
            from: Data(#"[{"type":"blob","base64":"AQI"},{"type":"float","value":null},{"type":"null"}]"#.utf8))
        #expect(decoded == [.blob(Data([1, 2])), .float(.infinity), .null])
    }

    @Test(
        "libsql://, https:// and http:// URLs map to the Hrana base",
        arguments: [
            ("libsql://db-acme.turso.io", "https://db-acme.turso.io"),
            ("libsql://127.0.0.1:8080?tls=0", "http://127.0.0.1:8080"),
            ("https://db.example.com:8443", "https://db.example.com:8443"),
            ("http://localhost:8080/", "http://localhost:8080"),
        ])
    func urls(_ pair: (String, String)) throws {
        #expect(try LibSQLURL(pair.0).base == pair.1)
    }

    @Test("a token in the URL, an unknown parameter and tls=0 without a port are refused")
    func badURLs() {
        for url in ["libsql://h?authToken=secret", "libsql://h?foo=1", "libsql://h?tls=0", "libsql://"] {
            #expect(throws: EmbedSyncError.self, "\(url)") { try LibSQLURL(url) }
        }
    }
}

@Suite("HranaClient without a server")
struct HranaUnreachableTests {
    @Test("a server that is not there is a database error naming the URL and the fix, coded as a transport failure")
    func unreachable() async throws {
        var configuration = HranaClient.Configuration(
            url: try LibSQLURL("http://127.0.0.1:1"), authToken: "canary-token-123456",
            tokenVariable: "TURSO_AUTH_TOKEN")
        configuration.maxRetries = 0
        let client = HranaClient(configuration, logger: LibSQLTestServer.logger)
        do {
            _ = try await client.execute(HranaStatement("SELECT 1"))
            Issue.record("nothing listens on port 1")
        } catch let error as EmbedSyncError {
            #expect(error.code == .database)
            #expect(error.sqlState == "TRANSPORT_NOT_SENT")
            #expect(error.message.contains("Cannot reach libSQL at http://127.0.0.1:1"))
            #expect(!error.message.contains("canary-token-123456"))
        }
    }
}

@Suite("HranaClient against sqld", .enabled(if: LibSQLTestServer.shouldRun))
struct HranaClientTests {
    @Test("values round-trip through the server")
    func roundTrip() async throws {
        let client = try LibSQLTestServer.client()
        let result = try await client.execute(
            HranaStatement(
                "SELECT ?, ?, ?, ?, ?",
                [.integer(Int64.max), .float(1.5), .text("a\u{0}b ✓"), .blob(Data([0, 255, 7])), .null]))
        #expect(
            result.rows.first == [
                .integer(Int64.max), .float(1.5), .text("a\u{0}b ✓"), .blob(Data([0, 255, 7])), .null,
            ])
    }

    @Test("a failing statement inside a 200 is an error with its code, and a failed batch writes nothing")
    func perResultErrors() async throws {
        let client = try LibSQLTestServer.client()
        let table = LibSQLTestServer.uniqueName("atomic")
        _ = try await client.batch([HranaStatement("CREATE TABLE \(table) (x INTEGER PRIMARY KEY)")])
        await #expect(throws: EmbedSyncError.self) {
            _ = try await client.batch([
                HranaStatement("INSERT INTO \(table) VALUES (1)"),
                HranaStatement("INSERT INTO no_such_table VALUES (1)"),
            ])
        }
        let count = try await client.execute(HranaStatement("SELECT count(*) FROM \(table)"))
        #expect(count.rows.first?.first == .integer(0))
        do {
            _ = try await client.execute(HranaStatement("SELECT * FROM no_such_table"))
            Issue.record("a missing table did not throw")
        } catch let error as EmbedSyncError {
            #expect(error.sqlState == "SQLITE_UNKNOWN" || error.sqlState?.hasPrefix("SQL") == true)
            #expect(error.message.contains("no such table"))
        }
        _ = try await client.batch([HranaStatement("DROP TABLE \(table)")])
    }

    @Test(
        "missing, bad and expired tokens are fatal and name the variable, never the token",
        arguments: ["none", "garbage", "expired"])
    func refusedTokens(_ kind: String) async throws {
        let token: String? =
            switch kind {
            case "none": nil
            case "garbage": "canary-\(UUID().uuidString)"
            default: LibSQLTestServer.token("expired")
            }
        // sqld answers 401 before it reads the body and then closes the connection without saying so: on the shared
        // pool, another test's request could be handed that connection as it closes.
        let connections = HTTPClient(eventLoopGroupProvider: .singleton)
        let client = HranaClient(
            .init(url: try LibSQLURL(LibSQLTestServer.url), authToken: token, tokenVariable: "MY_TURSO_TOKEN"),
            client: connections, logger: LibSQLTestServer.logger)
        do {
            _ = try await client.execute(HranaStatement("SELECT 1"))
            Issue.record("the server accepted \(kind)")
        } catch let error as EmbedSyncError {
            #expect(error.sqlState == "HTTP_401")
            #expect(error.message.contains("MY_TURSO_TOKEN"))
            if let token { #expect(!error.message.contains(token)) }
        }
        try await connections.shutdown()
    }

    @Test("a read-only token reads, and writing with it is reported as read-only")
    func readOnlyToken() async throws {
        let client = try LibSQLTestServer.client(token: LibSQLTestServer.token("ro"))
        #expect(try await client.execute(HranaStatement("SELECT 1")).rows.count == 1)
        do {
            _ = try await client.batch([HranaStatement("CREATE TABLE ro_never (x)")])
            Issue.record("a read-only token wrote")
        } catch let error as EmbedSyncError {
            #expect(error.sqlState == "HTTP_403")
            #expect(error.message.contains("read-only"))
            #expect(error.message.contains("TURSO_AUTH_TOKEN"))
        }
    }
}
