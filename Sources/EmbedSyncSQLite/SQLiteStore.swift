import EmbedSyncCore
import Foundation
import GRDB
import Synchronization

/// The embedded default store: a SQLite file read and written through GRDB.
///
/// Vectors are little-endian float32 BLOBs (libSQL's `F32_BLOB` bytes). Tables are created in the first
/// commit, WAL mode is switched on just before it, and each batch commits in one transaction.
public final class SQLiteStore: EmbeddingStore, Sendable {
    /// How to open the file and lay out the tables.
    public struct Configuration: Sendable {
        /// The database file (a path, or `sqlite:PATH`).
        public var path: String
        public var source: SourceSpec
        /// The id column; `nil` means the table's primary key (or `id` for a query).
        public var idColumn: String?
        public var target: TargetSpec
        /// Keep the rendered text beside each vector (table mode).
        public var storeText: Bool
        /// Open read-only: estimates and status never write.
        public var readOnly: Bool
        /// How long to wait for another process's write lock, in seconds.
        public var busyTimeout: Double
        /// Set when the rows live in another database (`target.database`): this file then holds only vectors and
        /// bookkeeping, is created when missing, and ``SplitStore`` hands over the source's schema
        /// (``adoptSourceSchema(_:)``).
        public var detached = false

        public init(
            path: String, source: SourceSpec, idColumn: String? = nil, target: TargetSpec = .table(nil),
            storeText: Bool = true, readOnly: Bool = false, busyTimeout: Double = 30
        ) {
            self.path = path.hasPrefix("sqlite:") ? String(path.dropFirst("sqlite:".count)) : path
            self.source = source
            self.idColumn = idColumn
            self.target = target
            self.storeText = storeText
            self.readOnly = readOnly
            self.busyTimeout = busyTimeout
        }
    }

    public let configuration: Configuration
    let queue: DatabaseQueue
    let state: Mutex<State>

    struct State {
        var schema: SourceSchema?
        var walEnabled = false
        var lock: FileLock?
        /// A second connection that only reads `PRAGMA data_version`, which changes when any other connection
        /// (this store's own included) commits.
        var watcher: DatabaseQueue?
    }

    /// Opens an existing database file (a detached target file is created when missing).
    /// - Throws: ``EmbedSyncError`` (`.usage`) when the file does not exist, (`.database`) when it cannot be opened.
    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        let exists = FileManager.default.fileExists(atPath: configuration.path)
        guard exists || configuration.detached else {
            throw EmbedSyncError(
                .usage,
                """
                No SQLite database at '\(configuration.path)'. Pass \(.database) PATH to an existing file (EmbedSync \
                never creates the source database).
                """
            )
        }
        var grdb = GRDB.Configuration()
        grdb.readonly = configuration.readOnly && exists
        grdb.busyMode = .timeout(configuration.busyTimeout)
        grdb.label = "embedsync"
        do {
            // A read-only look at a target file not made yet (status, estimate) sees an empty database in memory.
            queue =
                exists || !configuration.readOnly
                ? try DatabaseQueue(path: configuration.path, configuration: grdb)
                : try DatabaseQueue(configuration: grdb)
            try queue.read { db in _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
        } catch {
            throw EmbedSyncError(
                .database, "Cannot open '\(configuration.path)' as a SQLite database: \(SQLiteStore.describe(error))",
                underlying: error)
        }
        state = Mutex(State())
    }

    /// A short, value-free description of a GRDB error (bound values may be row text or secrets).
    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return error.message ?? "SQLite error \(error.resultCode)"
        }
        if let error = error as? EmbedSyncError { return error.message }
        return String(describing: error)
    }

    /// Runs database work, mapping GRDB errors to ``EmbedSyncError``.
    func database<T: Sendable>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EmbedSyncError {
            throw error
        } catch {
            throw EmbedSyncError(
                .database, "SQLite \(what) failed on '\(configuration.path)': \(SQLiteStore.describe(error))",
                underlying: error)
        }
    }

    /// Runs on one file take turns through the run guard (a `flock` beside the database).
    public var sharing: StoreSharing { .exclusive }

    /// Every id: the run guard already keeps a second run from writing this target.
    public func claim(_ ids: [RowID], runID: String) async throws -> Set<RowID> { Set(ids) }

    public func releaseClaims(_ ids: [RowID], runID: String) async {}

    public func close() async {
        try? state.withLock { state in try state.watcher?.close() }
        try? queue.close()
    }
}
