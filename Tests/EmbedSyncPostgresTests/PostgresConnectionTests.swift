import EmbedSyncCore
import Foundation
import PostgresNIO
import Testing

@testable import EmbedSyncPostgres

@Suite("PostgresURL")
struct PostgresURLTests {
    @Test("reads user, password, host, port, database and sslmode")
    func parsesURL() throws {
        let url = try PostgresURL("postgres://app:s%40cret@db.example.com:6543/prod?sslmode=require", environment: [:])
        #expect(url.user == "app")
        #expect(url.password == "s@cret")
        #expect(url.host == "db.example.com")
        #expect(url.port == 6543)
        #expect(url.database == "prod")
        #expect(url.sslMode == .require)
        #expect(url.socketDirectory == nil)
        #expect(!url.description.contains("s@cret"))
    }

    @Test("takes the password from PGPASSWORD when the URL has none")
    func passwordFromEnvironment() throws {
        let url = try PostgresURL("postgresql://app@localhost/db", environment: ["PGPASSWORD": "from-env"])
        #expect(url.password == "from-env")
        #expect(url.sslMode == .prefer)
    }

    @Test("connects through a Unix socket folder given as ?host=")
    func socketHost() throws {
        let url = try PostgresURL("postgres://app@/db?host=/var/run/postgresql&port=5433", environment: [:])
        #expect(url.socketDirectory == "/var/run/postgresql")
        #expect(url.socketPath("/var/run/postgresql") == "/var/run/postgresql/.s.PGSQL.5433")
        #expect(url.database == "db")
    }

    @Test("rejects an unknown sslmode with the accepted values")
    func badSSLMode() {
        #expect(throws: EmbedSyncError.self) { try PostgresURL("postgres://a@h/d?sslmode=maybe", environment: [:]) }
    }
}

@Suite("PostgresStore connection", .enabled(if: PostgresTestEnvironment.shouldRun))
struct PostgresStoreConnectionTests {
    @Test("a wrong password fails with the user and host named and the password nowhere")
    func wrongPassword() async throws {
        try await TestDatabase.with { db in
            let parsed = try PostgresURL(db.url, environment: [:])
            let secret = "Wr0ng-Pa55word-\(UUID().uuidString.prefix(6))"
            let url =
                "postgres://\(parsed.user):\(secret)@\(parsed.host):\(parsed.port)/\(parsed.database)?sslmode=disable"
            let error = await #expect(throws: EmbedSyncError.self) {
                _ = try await PostgresStore.open(
                    .init(
                        url: url, source: .table("x"), idColumn: nil, target: .table(nil), storeText: true,
                        environment: [:]))
            }
            let text = [
                error?.message, error.map { String(describing: $0) }, error?.underlying.map { String(describing: $0) },
            ]
            .compactMap { $0 }.joined(separator: " ")
            #expect(text.contains("password authentication failed"))
            #expect(text.contains(parsed.user))
            #expect(!text.contains(secret))
        }
    }

    @Test("connects through the server's Unix socket")
    func unixSocket() async throws {
        try await TestDatabase.with { db in
            let directories = try await db.query("SHOW unix_socket_directories").first?.decode(String.self) ?? ""
            let directory = try #require(
                directories.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) })
            try #require(directory.hasPrefix("/"))
            let parsed = try PostgresURL(db.url, environment: [:])
            try await db.execute("CREATE TABLE \(db.sql("docs")) (id bigint PRIMARY KEY, title text)")
            let url = "postgres://\(parsed.user)@/\(parsed.database)?host=\(directory)&port=\(parsed.port)"
            let configuration = PostgresStore.Configuration(
                url: url, source: .table(db.name("docs")), idColumn: nil, target: .table(nil), storeText: true,
                environment: ["PGPASSWORD": parsed.password ?? ""])
            let columns = try await PostgresStore.withStore(configuration) { store in
                try await store.sourceSchema().columns.map(\.name)
            }
            #expect(columns == ["id", "title"])
        }
    }

    @Test("says to run CREATE EXTENSION vector when the database lacks pgvector, and writes nothing")
    func missingExtension() async throws {
        try await TestDatabase.with { db in
            let name = "embedsync_noext_\(UUID().uuidString.prefix(8).lowercased())"
            try await db.execute("CREATE DATABASE \(quoteIdentifier(name))")
            do {
                var components = try #require(URLComponents(string: db.url))
                components.path = "/\(name)"
                let url = try #require(components.string)
                let configuration = PostgresStore.Configuration(
                    url: url, source: .table("docs"), idColumn: nil, target: .table(nil), storeText: true,
                    environment: [:])
                // The scope ends the store's pool, so the database can be dropped after it.
                try await PostgresStore.withStore(configuration) { setup in
                    try await setup.client.query("CREATE TABLE docs (id bigint PRIMARY KEY, title text)")
                    try await setup.client.query("INSERT INTO docs VALUES (1, 'a')")
                    let error = await #expect(throws: EmbedSyncError.self) {
                        try await setup.validateTarget(model: testModel)
                    }
                    #expect(error?.message.contains("CREATE EXTENSION vector;") == true)
                    #expect(error?.message.contains(name) == true)
                    let tables = try await setup.client.query(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                    ).collect()
                    #expect(try tables.first?.decode(Int64.self) == 1)
                }
            } catch {
                try? await db.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name))")
                throw error
            }
            try await db.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name))")
        }
    }
}
