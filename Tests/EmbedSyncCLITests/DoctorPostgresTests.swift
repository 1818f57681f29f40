import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

/// `embedsync doctor` on PostgreSQL: pgvector found, and a database without the extension named with its fix.
@Suite("embedsync doctor on PostgreSQL", .enabled(if: TestPostgres.shouldRun))
struct DoctorPostgresTests {
    func doctor(database url: String, table: String) async throws -> (CLIHarness.Result, Int) {
        let cli = try await CLIHarness.make(rows: 1)
        let flags = cli.providerFlags.map { $0 == cli.databasePath ? url : $0 }.map { $0 == "products" ? table : $0 }
        let result = await cli.run(["doctor", "--json"] + flags)
        let requests = cli.server.stats.requests
        try await cli.shutdown()
        DoctorTests.expectNoKey(result)
        return (result, requests)
    }

    @Test("with pgvector: the extension's version, a writable database, exit 0")
    func healthy() async throws {
        let url = try #require(TestPostgres.url, "EMBEDSYNC_TEST_POSTGRES_URL is not set: run `make test`.")
        let table = "doctor_\(UUID().uuidString.prefix(8).lowercased())"
        let sql = CLIPostgresTests()
        try await sql.execute("CREATE EXTENSION IF NOT EXISTS vector")
        try await sql.execute(
            "CREATE TABLE \(table) (id bigint PRIMARY KEY, name text, description text, category text)")
        let (result, requests) = try await doctor(database: url, table: table)
        try await sql.execute("DROP TABLE \(table)")
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let checks = try DoctorTests.checks(result)
        #expect(checks["pgvector"]?.status == "ok")
        #expect(checks["pgvector"]?.detail.hasPrefix("vector ") == true, "\(checks["pgvector"]?.detail ?? "")")
        #expect(checks["database"]?.detail.hasSuffix("and writable") == true, "\(checks["database"]?.detail ?? "")")
        #expect(checks["disk"]?.status == "skip")
        #expect(requests == 1, "one probe request")
        let password = URLComponents(string: url)?.password ?? "no password"
        #expect(!result.stdout.contains(":\(password)@"), "the database password is never shown")
    }

    @Test("a role that may read the table but not create tables: database fails naming the missing privilege")
    func roleWithoutCreate() async throws {
        let url = try #require(TestPostgres.url, "EMBEDSYNC_TEST_POSTGRES_URL is not set: run `make test`.")
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let (table, role) = ("doctor_\(suffix)", "doctor_reader_\(suffix)")
        let sql = CLIPostgresTests()
        try await sql.execute("CREATE EXTENSION IF NOT EXISTS vector")
        try await sql.execute(
            "CREATE TABLE \(table) (id bigint PRIMARY KEY, name text, description text, category text)")
        // PostgreSQL 15 and later grant no CREATE on schema public to PUBLIC: a new role may read, not create.
        try await sql.execute("CREATE ROLE \(role) LOGIN PASSWORD 'reader-password'")
        try await sql.execute("GRANT SELECT ON \(table) TO \(role)")
        var components = try #require(URLComponents(string: url))
        (components.user, components.password) = (role, "reader-password")
        let (result, _) = try await doctor(database: try #require(components.string), table: table)
        try await sql.execute("DROP TABLE \(table)")
        try await sql.execute("DROP ROLE \(role)")
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        let checks = try DoctorTests.checks(result)
        #expect(checks["database"]?.status == "fail")
        let detail = checks["database"]?.detail ?? ""
        #expect(detail.contains("missing CREATE on schema \"public\" for role \(role)"), "\(detail)")
        #expect(checks["database"]?.fix?.hasPrefix("GRANT") == true)
        #expect(!result.stdout.contains("reader-password"))
    }

    @Test("a database without the vector extension: pgvector fails with CREATE EXTENSION vector, exit 1")
    func withoutPgvector() async throws {
        let url = try #require(TestPostgres.url, "EMBEDSYNC_TEST_POSTGRES_URL is not set: run `make test`.")
        let name = "doctor_\(UUID().uuidString.prefix(8).lowercased())"
        let sql = CLIPostgresTests()
        try await sql.execute("CREATE DATABASE \(name)")
        try await sql.execute(
            "CREATE TABLE docs (id bigint PRIMARY KEY, name text, description text, category text)", database: name)
        var components = try #require(URLComponents(string: url))
        components.path = "/\(name)"
        let (result, _) = try await doctor(database: try #require(components.string), table: "docs")
        try await sql.execute("DROP DATABASE \(name) WITH (FORCE)")
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        let checks = try DoctorTests.checks(result)
        #expect(checks["pgvector"]?.status == "fail")
        #expect(checks["pgvector"]?.detail.contains("CREATE EXTENSION vector") == true)
        #expect(checks["source"]?.status == "ok", "the rest is still checked")
        #expect(checks["database"]?.status == "ok")
    }
}
