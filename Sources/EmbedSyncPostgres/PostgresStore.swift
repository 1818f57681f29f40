import EmbedSyncCore
import Foundation
import PostgresNIO
import Synchronization

/// PostgreSQL with pgvector: vectors as `vector(d)`, in a table of their own or in a column of the source table.
///
/// Open one with ``connect(_:)``; the CLI does exactly that. Tables are created in the first commit, so a run that
/// fails before it leaves the database as it was. Several processes can run on one table at once: rows are handed
/// out through leases in `embedsync_claims` (see ``claim(_:runID:)``), and each batch commits in one transaction.
///
/// ```swift
/// let store = try await PostgresStore.connect(.init(
///     url: "postgres://app@db.example.com/app?sslmode=require", source: .table("pages"), idColumn: nil,
///     target: .column("embedding"), storeText: false, environment: ProcessInfo.processInfo.environment))
/// defer { Task { await store.close() } }
/// ```
public final class PostgresStore: SearchableStore, IndexableStore, Sendable {
    /// Where to connect and how the tables are laid out.
    public struct Configuration: Sendable {
        /// `postgres://user:password@host:port/database?sslmode=…`; `?host=/socket/dir` for a Unix socket.
        public var url: String
        public var source: SourceSpec
        /// The id column; `nil` means the table's primary key (or `id` for a query).
        public var idColumn: String?
        public var target: TargetSpec
        /// Keep the rendered text beside each vector (table mode).
        public var storeText: Bool
        /// The environment, for `PGPASSWORD` and friends (library code never reads the process environment).
        public var environment: [String: String]
        /// How long a worker's claim on a row lasts before other workers may take the row (refreshed by each commit).
        public var claimLease: Duration = .seconds(120)
        /// Connections in the pool.
        public var maximumConnections: Int = 8
        public var logger: Logger = Logger(label: "embedsync.postgres")

        public init(
            url: String, source: SourceSpec, idColumn: String?, target: TargetSpec, storeText: Bool,
            environment: [String: String]
        ) {
            self.url = url
            self.source = source
            self.idColumn = idColumn
            self.target = target
            self.storeText = storeText
            self.environment = environment
        }
    }

    public let configuration: Configuration
    let url: PostgresURL
    let client: PostgresClient
    let redactor: Redactor
    let logger: Logger
    private let runTask: Task<Void, Never>
    let state: Mutex<State>

    struct State {
        var layout: Layout?
        /// Tables known to exist (they only disappear through ``reset()``).
        var existing: Set<String> = []
        /// The run guard's dedicated connection, holding the advisory lock.
        var guardConnection: PostgresConnection?
        /// The guard connection's backend pid, written into claims so a dead worker's claims can be taken at once.
        var guardPID: Int32?
        /// What scans saw stored for recent rows, so a claim can tell a row another worker stored meanwhile.
        var seen = SeenRows()
    }

    /// Connects and checks the credentials, so a bad URL or password fails here with a clear message.
    ///
    /// - Returns: a ``PostgresStore`` (it is also a ``SearchableStore`` and an ``IndexableStore``).
    /// - Throws: ``EmbedSyncError`` — `.usage` for a malformed URL, `.database` when the server cannot be reached or
    ///   refuses the credentials. Messages name the host, user and database, never the password.
    public static func connect(_ configuration: Configuration) async throws -> any EmbeddingStore {
        try await open(configuration)
    }

    /// ``connect(_:)`` with the concrete type, for index management and tests.
    public static func open(_ configuration: Configuration) async throws -> PostgresStore {
        let url = try PostgresURL(configuration.url, environment: configuration.environment)
        let redactor = Redactor(secrets: [url.password].compactMap { $0 })
        // Check reachability and credentials on one direct connection first: the pool would only retry quietly.
        do {
            let connection = try await PostgresConnection.connect(
                configuration: try url.connectionConfiguration(), id: 0, logger: configuration.logger)
            try? await connection.close()
        } catch let error as EmbedSyncError {
            throw error
        } catch {
            throw connectError(error, url: url, redactor: redactor)
        }
        // The pool's background logger stays quiet below errors: it warns when a lease races the start of run().
        var backgroundLogger = configuration.logger
        backgroundLogger.logLevel = .error
        let client = PostgresClient(
            configuration: url.clientConfiguration(maximumConnections: max(2, configuration.maximumConnections)),
            backgroundLogger: backgroundLogger)
        let runTask = Task { await client.run() }
        return PostgresStore(
            configuration: configuration, url: url, client: client, runTask: runTask, redactor: redactor)
    }

    private init(
        configuration: Configuration, url: PostgresURL, client: PostgresClient, runTask: Task<Void, Never>,
        redactor: Redactor
    ) {
        self.configuration = configuration
        self.url = url
        self.client = client
        self.runTask = runTask
        self.redactor = redactor
        self.logger = configuration.logger
        self.state = Mutex(State())
    }

    static func connectError(_ error: any Error, url: PostgresURL, redactor: Redactor) -> EmbedSyncError {
        let reason = redactor.redact(describe(error))
        let state = (error as? PSQLError)?.serverInfo?[.sqlState]
        let hint: String
        switch state {
        case "28P01", "28000":
            hint = "Check the user and the password (in the URL or PGPASSWORD)."
        case "3D000":
            hint = "Check the database name in the URL."
        default:
            hint = "Check the host, the port and sslmode, and that the server is running."
        }
        return EmbedSyncError(
            .database, "Cannot connect to PostgreSQL at \(url): \(reason). \(hint)",
            underlying: DatabaseFailure(sqlState: state, message: reason))
    }

    /// Opens a dedicated connection (outside the pool), for the run guard.
    func directConnection() async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(
                configuration: try url.connectionConfiguration(), id: 1, logger: logger)
        } catch let error as EmbedSyncError {
            throw error
        } catch {
            throw PostgresStore.connectError(error, url: url, redactor: redactor)
        }
    }

    /// Runs `body` in one transaction on a pooled connection: `COMMIT` when it returns, `ROLLBACK` when it throws.
    /// A transaction the server aborted for a deadlock or a serialization failure is run again (up to 5 times).
    func transaction<T: Sendable>(
        readOnly: Bool = false, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await client.withConnection { connection in
                    try await connection.query(readOnly ? "START TRANSACTION READ ONLY" : "BEGIN", logger: logger)
                    do {
                        let value = try await body(connection)
                        try await connection.query("COMMIT", logger: logger)
                        return value
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
            } catch {
                attempt += 1
                guard attempt < 5, let state = PostgresStore.sqlState(error), state == "40P01" || state == "40001"
                else { throw error }
                logger.info(
                    "retrying a transaction",
                    metadata: ["embedsync.sqlstate": "\(state)", "embedsync.attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(Int64.random(in: 10...50) * Int64(attempt)))
            }
        }
    }

    /// Closes the guard connection and the pool.
    public func close() async {
        await releaseRunGuard()
        runTask.cancel()
        _ = await runTask.value
    }
}

/// A bounded memory of what recent scans saw stored per row: two generations of at most `limit` entries each.
struct SeenRows {
    var current: [RowID: String] = [:]
    var previous: [RowID: String] = [:]
    let limit = 50_000

    mutating func record(_ id: RowID, _ stored: String) {
        if current.count >= limit {
            previous = current
            current = [:]
        }
        current[id] = stored
    }

    func lookup(_ id: RowID) -> String? {
        current[id] ?? previous[id]
    }
}
