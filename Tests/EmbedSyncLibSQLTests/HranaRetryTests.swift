import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncLibSQL

@Suite("HranaClient sends a write again only when it never left", .enabled(if: LibSQLTestServer.shouldRun))
struct HranaRetryTests {
    /// A client of the test server through `proxy`, with `retries` retries.
    static func client(through proxy: FaultProxy, retries: Int, timeout: Duration = .seconds(60)) throws -> HranaClient
    {
        var configuration = HranaClient.Configuration(
            url: try LibSQLURL("http://127.0.0.1:\(proxy.port)"), authToken: LibSQLTestServer.token("rw"),
            tokenVariable: "TURSO_AUTH_TOKEN")
        configuration.maxRetries = retries
        configuration.timeout = timeout
        return HranaClient(configuration, logger: LibSQLTestServer.logger)
    }

    static func upstreamPort() throws -> Int {
        try #require(URLComponents(string: LibSQLTestServer.url)?.port, "no port in \(LibSQLTestServer.url)")
    }

    @Test("a write whose answer was lost is not sent again: the server committed it once")
    func lostAnswer() async throws {
        let proxy = try await FaultProxy.start(upstreamPort: try Self.upstreamPort())
        let direct = try LibSQLTestServer.client()
        let table = LibSQLTestServer.uniqueName("lost")
        _ = try await direct.batch([HranaStatement("CREATE TABLE \(table) (x INTEGER)")])
        let client = try Self.client(through: proxy, retries: 3)
        proxy.enqueue(.resetAfter(bytes: 0))
        do {
            _ = try await client.batch([HranaStatement("INSERT INTO \(table) VALUES (1)")])
            Issue.record("a reset answer did not fail")
        } catch let error as EmbedSyncError {
            #expect(error.sqlState == "TRANSPORT")
        }
        #expect(client.requestsSent == 1)
        // The proxy cut the connection when the server's answer began: the insert had committed, once.
        let count = try await direct.execute(HranaStatement("SELECT count(*) FROM \(table)")).rows.first?.first
        #expect(count == .integer(1))
        _ = try await direct.batch([HranaStatement("DROP TABLE \(table)")])
        try await proxy.shutdown()
    }

    @Test(
        "a server that accepts and never answers ends a read and a write within the request timeout; no write resent",
        .timeLimit(.minutes(1)))
    func blackHole() async throws {
        let proxy = try await FaultProxy.start(upstreamPort: try Self.upstreamPort())
        proxy.setDefault(.blackHole)
        let client = try Self.client(through: proxy, retries: 1, timeout: .seconds(1))
        let started = ContinuousClock.now
        await #expect(throws: EmbedSyncError.self) { try await client.execute(HranaStatement("SELECT 1")) }
        #expect(client.requestsSent == 2)
        await #expect(throws: EmbedSyncError.self) {
            try await client.batch([HranaStatement("CREATE TABLE never_answered (x)")])
        }
        #expect(client.requestsSent == 3)
        // Two reads and a write of 1 s each, and one pause between the reads.
        #expect(ContinuousClock.now - started < .seconds(30))
        try await proxy.shutdown()
    }

    @Test("a write refused before it was sent is sent again, up to the retries, and says nothing reached the server")
    func neverSent() async throws {
        let proxy = try await FaultProxy.start(upstreamPort: try Self.upstreamPort())
        let client = try Self.client(through: proxy, retries: 2)
        // Before any request: a pooled connection that the refusal resets could take the request's head first.
        try await proxy.refuse()
        do {
            _ = try await client.batch([HranaStatement("CREATE TABLE never_sent_\(UUID().uuidString.prefix(8)) (x)")])
            Issue.record("a refused connection did not fail")
        } catch let error as EmbedSyncError {
            #expect(error.sqlState == "TRANSPORT_NOT_SENT")
            #expect(error.message.contains("Cannot reach libSQL at http://127.0.0.1:\(proxy.port)"))
        }
        #expect(client.requestsSent == 3)
    }
}
