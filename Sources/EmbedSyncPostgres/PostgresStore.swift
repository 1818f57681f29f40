import EmbedSyncCore
import Foundation
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// PostgreSQL with pgvector: vectors as `vector(d)`, in a table of their own or in a column of the source table.
///
/// The store is a swift-service-lifecycle `Service`: its connection pool works while ``run()`` runs, so put it in
/// your `ServiceGroup` (the CLI does, beside `--watch` and the server), or hold it for a scope with
/// ``withStore(_:_:)``. Tables are created in the first commit, so a run that fails before it leaves the database as
/// it was. Several processes can run on one table at once: rows are handed out through leases in `embedsync_claims`
/// (see ``claim(_:runID:)``), and each batch commits in one transaction.
///
/// ```swift
/// try await PostgresStore.withStore(.init(
///     url: "postgres://app@db.example.com/app?sslmode=require", source: .table("pages"), idColumn: nil,
///     target: .column("embedding"), storeText: false, environment: ProcessInfo.processInfo.environment)
/// ) { store in
///     let summary = try await Runner(store: store, embedder: embedder, configuration: configuration).run()
/// }
/// ```
public final class PostgresStore: SearchableStore, IndexableStore, Service, Sendable {
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
        /// How long one transaction (a claim, a commit) may take before the store gives up on the server with an
        /// error; a pool whose connections were all closed by the server, or a silent network, would wait forever.
        public var transactionTimeout: Duration = .seconds(120)
        /// Set when the rows live in another database (`target.database`): this database then holds only vectors
        /// and bookkeeping, and ``SplitStore`` hands over the source's schema (``adoptSourceSchema(_:)``).
        public var detached = false
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
    let state: Mutex<State>

    struct State {
        var layout: Layout?
        /// The source's schema, read from the other database (detached targets only).
        var adopted: SourceSchema?
        /// Tables known to exist (they only disappear through ``reset()``).
        var existing: Set<String> = []
        /// The schema of the `vector` extension, once read (it does not move while a run goes).
        var vectorSchema: String?
        /// The run guard's dedicated connection, holding the advisory lock.
        var guardConnection: PostgresConnection?
        /// The guard connection's backend pid, written into claims so a dead worker's claims can be taken at once.
        var guardPID: Int32?
        /// Targets known to have their `source_fingerprint` column (``FreshnessFilteringStore``).
        var fingerprinted: Set<String> = []
        /// When this run's leases were last extended.
        var leasesRefreshed: ContinuousClock.Instant?
        /// What scans saw stored for recent rows, so a claim can tell a row another worker stored meanwhile.
        var seen = SeenRows()
    }

    /// Opens a store for the duration of `body`: checks the credentials, runs its pool, and closes it however `body`
    /// ends.
    ///
    /// - Throws: ``EmbedSyncError`` — `.usage` for a malformed URL, `.database` when the server cannot be reached or
    ///   refuses the credentials (messages name the host, user and database, never the password) — or what `body`
    ///   throws.
    public static func withStore<T: Sendable>(
        _ configuration: Configuration, _ body: (PostgresStore) async throws -> T
    ) async throws -> T {
        let store = try await open(configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            do {
                let value = try await body(store)
                await store.close()
                group.cancelAll()
                return value
            } catch {
                await store.close()
                group.cancelAll()
                throw error
            }
        }
    }

    /// Connects once to check reachability and credentials, and returns the store with its pool not yet running:
    /// queries wait until ``run()`` runs (in a `ServiceGroup` or a task of the caller's).
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
        return PostgresStore(
            configuration: configuration, url: url, client: client, redactor: redactor)
    }

    private init(
        configuration: Configuration, url: PostgresURL, client: PostgresClient,
        redactor: Redactor
    ) {
        self.configuration = configuration
        self.url = url
        self.client = client
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
        readOnly: Bool = false, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 0
        let (client, logger) = (self.client, self.logger)
        while true {
            do {
                return try await bounded("a transaction", "An unconfirmed batch is committed whole or not at all.") {
                    try await Self.onConnection(client, readOnly: readOnly, logger: logger, body)
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

    /// Runs `body` within ``Configuration/transactionTimeout``: every transaction, and the reads outside one (a scan
    /// page, a catalog lookup). Past it the error names `what` went unanswered; `note` is added to it.
    func bounded<T: Sendable>(
        _ what: String = "a query", _ note: String = "", _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let timeout = configuration.transactionTimeout.components.seconds
        let url = self.url
        let note = note.isEmpty ? "" : note + " "
        return try await withDeadline(
            seconds: Double(timeout),
            onTimeout: {
                EmbedSyncError(
                    .database,
                    """
                    PostgreSQL at \(url) did not answer \(what) within \(timeout) s (its connections may have been \
                    closed, or the network cut). \(note)Run again to continue, or allow longer with \(.databaseTimeout).
                    """)
            }, body)
    }

    /// Closes a dedicated connection, waiting at most 5 s: closing says goodbye to the server and waits for it, which
    /// never ends when the server went silent.
    static func closeBounded(_ connection: PostgresConnection) async {
        _ = try? await withDeadline(seconds: 5, onTimeout: { CancellationError() }) { try await connection.close() }
    }

    /// `BEGIN`, `body`, `COMMIT` on a pooled connection; `ROLLBACK` when `body` throws.
    private static func onConnection<T: Sendable>(
        _ client: PostgresClient, readOnly: Bool, logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await client.withConnection { connection in
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
    }

    /// Runs the connection pool until the task is cancelled or its `ServiceGroup` shuts down gracefully.
    public func run() async throws {
        await client.run()
    }

    /// Releases the run guard and closes its connection. The pool stops when ``run()`` ends.
    public func close() async {
        await releaseRunGuard()
    }
}

/// A bounded memory of what recent scans saw stored per row: two generations of at most `limit` entries each.
struct SeenRows {
    var current: [RowID: StoredState?] = [:]
    var previous: [RowID: StoredState?] = [:]
    let limit = 50_000

    /// Records what a scan saw stored for a row (`nil`: nothing). Recorded for every row a keep-fresh run reads, so
    /// it costs a dictionary insert and no allocation of its own: the table is sized once per generation.
    mutating func record(_ id: RowID, _ stored: StoredState?) {
        if current.count >= limit {
            previous = current
            current = [:]
        }
        if current.isEmpty { current.reserveCapacity(limit) }
        current[id] = stored
    }

    /// What the scan saw stored for a row: `nil` when the row was not seen recently, `.some(nil)` when nothing was.
    func lookup(_ id: RowID) -> StoredState?? {
        current[id] ?? previous[id]
    }
}

extension PostgresStore.Configuration: SecretHolding {
    public var shownFields: KeyValuePairs<String, Any> {
        [
            "url": Redacted.url(url), "source": source, "target": target,
            "environment": Redacted.environment(environment),
        ]
    }
}
