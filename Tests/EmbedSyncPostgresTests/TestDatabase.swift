import EmbedSyncCore
import Foundation
import PostgresNIO
import Testing

@testable import EmbedSyncPostgres

/// Where the PostgreSQL tests find their server: `EMBEDSYNC_TEST_POSTGRES_URL` (see scripts/postgres.sh).
///
/// When the variable is unset the tests are skipped on a developer machine, and fail in CI (`CI` set), so a CI job
/// without a database can never pass by skipping them.
enum PostgresTestEnvironment {
    static let environment = ProcessInfo.processInfo.environment
    static var url: String? { environment["EMBEDSYNC_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var isCI: Bool { environment["CI"].map { !$0.isEmpty } ?? false }
    /// Run the tests when a URL is given, or in CI (where a missing URL is a failure).
    static var shouldRun: Bool { url != nil || isCI }
}

struct MissingTestDatabase: Error, CustomStringConvertible {
    var description: String {
        """
        EMBEDSYNC_TEST_POSTGRES_URL is not set. Start PostgreSQL with `export \
        EMBEDSYNC_TEST_POSTGRES_URL=$(scripts/postgres.sh start)`.
        """
    }
}

/// A fresh schema of its own for one test, dropped at the end, with helpers to run SQL and open stores in it.
struct TestDatabase: Sendable {
    let url: String
    let schema: String
    let connection: PostgresConnection
    let opened = OpenStores()
    /// Hands each store opened here to the task that runs its pool for the rest of ``with(_:)``.
    let pools: AsyncStream<PostgresStore>.Continuation

    /// Opens a connection and creates a schema named `t_<random>`.
    /// - Throws: ``MissingTestDatabase`` (and records an issue) when the URL is unset.
    static func make(pools: AsyncStream<PostgresStore>.Continuation) async throws -> TestDatabase {
        guard let url = PostgresTestEnvironment.url else {
            Issue.record(Comment(rawValue: MissingTestDatabase().description))
            throw MissingTestDatabase()
        }
        let parsed = try PostgresURL(url, environment: [:])
        let connection = try await PostgresConnection.connect(
            configuration: try parsed.connectionConfiguration(), id: 99, logger: Logger(label: "embedsync.test"))
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let database = TestDatabase(url: url, schema: String(schema), connection: connection, pools: pools)
        try await database.execute("CREATE EXTENSION IF NOT EXISTS vector")
        try await database.execute("CREATE SCHEMA \(quoteIdentifier(database.schema))")
        return database
    }

    /// Runs `body` with a fresh database schema and drops it afterwards. The pools of the stores `body` opens run in
    /// a child task of this scope and stop with it.
    static func with<T: Sendable>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        let (stores, pools) = AsyncStream.makeStream(of: PostgresStore.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { running in
                    for await store in stores { running.addTask { try? await store.run() } }
                }
            }
            defer { group.cancelAll() }
            let database = try await make(pools: pools)
            do {
                let value = try await body(database)
                await database.drop()
                return value
            } catch {
                await database.drop()
                throw error
            }
        }
    }

    /// Runs `store`'s pool until the end of the test, and closes the store then.
    @discardableResult
    func running(_ store: PostgresStore) async -> PostgresStore {
        pools.yield(store)
        await opened.add(store)
        return store
    }

    func drop() async {
        await opened.closeAll()
        _ = try? await connection.query(
            PostgresQuery(unsafeSQL: "DROP SCHEMA \(quoteIdentifier(schema)) CASCADE"), logger: Self.logger)
        try? await connection.close()
    }

    static let logger = Logger(label: "embedsync.test")

    /// `"schema".name` as a store's table name: `schema.name`.
    func name(_ table: String) -> String { "\(schema).\(table)" }

    /// `"schema"."name"` for SQL.
    func sql(_ table: String) -> String { quoteIdentifier(schema) + "." + quoteIdentifier(table) }

    func execute(_ sql: String) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
    }

    func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await connection.query(query, logger: Self.logger).collect()
    }

    func count(_ sql: String) async throws -> Int {
        let rows = try await query(PostgresQuery(unsafeSQL: sql))
        return Int(try rows.first?.decode(Int64.self) ?? -1)
    }

    /// The tables in this test's schema, sorted.
    func tables() async throws -> [String] {
        try await query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = \(schema) ORDER BY 1"
        )
        .map { try $0.decode(String.self) }
    }

    func store(
        source: SourceSpec, target: TargetSpec = .table(nil), idColumn: String? = nil, storeText: Bool = true,
        claimLease: Duration = .seconds(120)
    ) async throws -> PostgresStore {
        var configuration = PostgresStore.Configuration(
            url: url, source: source, idColumn: idColumn, target: target, storeText: storeText, environment: [:])
        configuration.claimLease = claimLease
        return await running(try await PostgresStore.open(configuration))
    }
}

/// The stores a test opened, closed when its schema is dropped.
actor OpenStores {
    private var stores: [PostgresStore] = []
    func add(_ store: PostgresStore) { stores.append(store) }
    func closeAll() async {
        for store in stores { await store.close() }
        stores = []
    }
}

/// Makes a deterministic vector for a text: the same text always gives the same vector.
func testVector(_ text: String, dimensions: Int) -> [Float] {
    var state: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { state = (state ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return (0..<dimensions).map { index in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 &+ UInt64(index)
        return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 997
    }
}

let testModel = ModelIdentity(provider: "test", model: "hash", dimensions: 8)
