import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncPostgres
import EmbedSyncSQLite
import Foundation
import Logging
import ServiceLifecycle

/// A store as opened, with the services (connection pools) that must run while it is used.
struct OpenedStore: Sendable {
    let store: any EmbeddingStore
    let services: [any Service]

    /// Runs `body` with the store while its services (and `extra` ones) run in one `ServiceGroup`, then closes the
    /// store however `body` ends and shuts the group down gracefully.
    func use<T: Sendable>(
        services extra: [any Service] = [], _ body: (any EmbeddingStore) async throws -> T
    ) async throws -> T {
        let group = ServiceGroup(services: services + extra, logger: Logger(label: "embedsync"))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await body(store))
            } catch {
                outcome = .failure(error)
            }
            await store.close()
            await group.triggerGracefulShutdown()
            // A pool whose server went silent may never finish its graceful shutdown (a connection stays leased by a
            // query nobody answers): after 10 s the group is cancelled, which closes what is left.
            tasks.addTask {
                try await Task.sleep(for: .seconds(10))
                throw CancellationError()
            }
            _ = try? await tasks.next()
            tasks.cancelAll()
            try? await tasks.waitForAll()
            return try outcome.get()
        }
    }
}

/// Opens the configured database as an ``EmbeddingStore``.
enum StoreFactory {
    static func source(_ settings: Settings) throws -> SourceSpec {
        let table = settings.string(.table)
        let query = settings.string(.query)
        switch (table, query) {
        case (let table?, nil): return .table(table)
        case (nil, let query?): return .query(query)
        case (.some, .some):
            throw EmbedSyncError(
                .usage,
                """
                Both \(settings.origin(.table)) and \(settings.origin(.query)) are set. Keep one: a table, or a \
                SELECT.
                """
            )
        case (nil, nil):
            throw EmbedSyncError(
                .usage,
                "No source rows: pass --table NAME or --query 'SELECT …' (or set source.table in embedsync.yaml).")
        }
    }

    static func target(_ settings: Settings) throws -> TargetSpec {
        if let column = settings.string(.targetColumn) {
            if settings.string(.targetTable) != nil {
                throw EmbedSyncError(
                    .usage,
                    """
                    Both --target-table and --target-column are set. Use a table (separate vectors) or a column \
                    (vectors in the source table).
                    """
                )
            }
            return .column(try plainName(column, settings, .targetColumn))
        }
        return .table(try settings.string(.targetTable).map { try plainName($0, settings, .targetTable) })
    }

    /// A name EmbedSync creates must be a plain identifier (`schema.` before it on PostgreSQL), so it reads the same
    /// quoted or not, in every statement and in the user's own SQL.
    static func plainName(_ name: String, _ settings: Settings, _ key: SettingKey) throws -> String {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let plain =
            parts.count <= 2
            && parts.allSatisfy { part in
                guard let first = part.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else {
                    return false
                }
                return part.count <= 63
                    && part.unicodeScalars.allSatisfy {
                        $0 == "_" || $0 == "$" || $0.properties.isAlphabetic || ("0"..."9").contains($0)
                    }
            }
        guard plain else {
            throw EmbedSyncError(
                .usage,
                ErrorMessage(
                    "\(settings.origin(key)) '\(name)' is not a plain name. EmbedSync creates it, so use letters, "
                        + "digits and underscores, starting with a letter (e.g. pages_embeddings)."))
        }
        return name
    }

    static func databaseURL(_ settings: Settings) throws -> String {
        guard let url = settings.string(.database), !url.isEmpty else {
            throw EmbedSyncError(
                .usage,
                """
                No database: pass --database PATH (a SQLite file), postgres://… or libsql://… (or set DATABASE_URL or \
                `database` in embedsync.yaml).
                """
            )
        }
        return url
    }

    static func isPostgres(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    /// Opens the store; with `--target-database`, a ``SplitStore`` reading rows from `--database` (never writing
    /// there) and keeping vectors and bookkeeping in the target: a SQLite file, PostgreSQL or libSQL.
    /// - Parameter readOnly: estimates and status open SQLite read-only.
    static func open(_ settings: Settings, readOnly: Bool, context: CLIContext) async throws -> OpenedStore {
        let url = try databaseURL(settings)
        let vectorsURL = settings.string(.targetDatabase).flatMap { $0.isEmpty ? nil : $0 } ?? url
        if !LibSQLURL.matches(vectorsURL) { _ = try searchMode(settings, libSQL: false) }
        guard let targetURL = settings.string(.targetDatabase), !targetURL.isEmpty else {
            return try await open(url: url, settings, readOnly: readOnly, context: context)
        }
        if targetURL == url {
            throw EmbedSyncError(
                .usage,
                """
                \(settings.origin(.targetDatabase)) is the source database itself. Drop it to keep the vectors beside \
                the rows, or name another database.
                """
            )
        }
        if case .column = try target(settings) {
            throw EmbedSyncError(
                .usage,
                """
                --target-column writes into the source table; with \(settings.origin(.targetDatabase)) use \
                --target-table.
                """
            )
        }
        let rows = try await open(url: url, settings, readOnly: true, context: context)
        do {
            let target = try await openTarget(url: targetURL, settings, readOnly: readOnly, context: context)
            guard let detached = target.store as? any DetachedTargetStore else {
                throw EmbedSyncError(.usage, "\(settings.origin(.targetDatabase)) cannot hold vectors apart from rows.")
            }
            return OpenedStore(
                store: SplitStore(source: rows.store, target: detached), services: rows.services + target.services)
        } catch {
            await rows.store.close()
            throw error
        }
    }

    /// The store for `--target-database`: it holds only vectors and bookkeeping, and is told the source's schema.
    private static func openTarget(
        url: String, _ settings: Settings, readOnly: Bool, context: CLIContext
    ) async throws -> OpenedStore {
        if isPostgres(url) {
            var configuration = try postgresConfiguration(url: url, settings)
            configuration.detached = true
            let store = try await PostgresStore.open(configuration)
            return OpenedStore(store: store, services: [store])
        }
        if LibSQLURL.matches(url) {
            var configuration = try libSQLConfiguration(url: url, settings)
            configuration.detached = true
            return OpenedStore(store: try await LibSQLStore.open(configuration), services: [])
        }
        var configuration = try sqliteConfiguration(url: url, settings, readOnly: readOnly, context: context)
        configuration.detached = true
        return OpenedStore(store: try SQLiteStore(configuration), services: [])
    }

    static func libSQLConfiguration(url: String, _ settings: Settings) throws -> LibSQLStore.Configuration {
        let (token, variable) = try libSQLToken(settings)
        var configuration = LibSQLStore.Configuration(
            url: try LibSQLURL(url), authToken: token, tokenVariable: variable, source: try source(settings),
            idColumn: settings.string(.id), target: try target(settings),
            storeText: try settings.bool(.storeText) ?? true)
        if let lease = try settings.positiveInt(.claimLease) { configuration.claimLease = .seconds(lease) }
        // Trust a private CA the way OpenSSL tools do: SSL_CERT_FILE replaces the system's bundle.
        if let file = settings.environment["SSL_CERT_FILE"], !file.isEmpty { configuration.caFile = file }
        configuration.searchMode = try searchMode(settings, libSQL: true)
        return configuration
    }

    /// `--search-mode`: `exact`, `server` or `index` for libSQL; other databases only search one way.
    static func searchMode(_ settings: Settings, libSQL: Bool) throws -> LibSQLStore.SearchMode {
        guard let text = settings.string(.searchMode) else { return .exact }
        guard let mode = LibSQLStore.SearchMode(rawValue: text.lowercased()) else {
            throw EmbedSyncError(
                .usage, "\(settings.origin(.searchMode)) '\(text)' is not a search mode: use exact, server or index.")
        }
        if !libSQL, mode != .exact {
            throw EmbedSyncError(
                .usage,
                """
                \(settings.origin(.searchMode)) \(text) is for libSQL vectors. SQLite searches with an exact scan and \
                PostgreSQL with pgvector (using the index of `embedsync index create` when there is one).
                """
            )
        }
        return mode
    }

    private static func open(
        url: String, _ settings: Settings, readOnly: Bool, context: CLIContext
    ) async throws -> OpenedStore {
        if isPostgres(url) {
            let store = try await PostgresStore.open(try postgresConfiguration(url: url, settings))
            return OpenedStore(store: store, services: [store])
        }
        if LibSQLURL.matches(url) {
            return OpenedStore(
                store: try await LibSQLStore.open(try libSQLConfiguration(url: url, settings)), services: [])
        }
        let configuration = try sqliteConfiguration(url: url, settings, readOnly: readOnly, context: context)
        return OpenedStore(store: try SQLiteStore(configuration), services: [])
    }

    static func postgresConfiguration(url: String, _ settings: Settings) throws -> PostgresStore.Configuration {
        var configuration = PostgresStore.Configuration(
            url: url, source: try source(settings), idColumn: settings.string(.id), target: try target(settings),
            storeText: try settings.bool(.storeText) ?? true, environment: settings.environment)
        if let lease = try settings.positiveInt(.claimLease) { configuration.claimLease = .seconds(lease) }
        if let seconds = try settings.positiveInt(.databaseTimeout) {
            configuration.transactionTimeout = .seconds(seconds)
        }
        return configuration
    }

    /// A SQLite file's store configuration.
    static func sqliteConfiguration(
        url: String, _ settings: Settings, readOnly: Bool, context: CLIContext
    ) throws -> SQLiteStore.Configuration {
        SQLiteStore.Configuration(
            path: sqlitePath(url, context: context), source: try source(settings), idColumn: settings.string(.id),
            target: try target(settings), storeText: try settings.bool(.storeText) ?? true, readOnly: readOnly)
    }

    /// The SQLite file a database setting names (`PATH`, `sqlite:PATH`, `sqlite://PATH`), relative to the working
    /// directory.
    static func sqlitePath(_ url: String, context: CLIContext) -> String {
        var path = url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url
        if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
        if !(path as NSString).isAbsolutePath {
            path = (context.workingDirectory as NSString).appendingPathComponent(path)
        }
        return path
    }

    /// The libSQL token and the variable it came from: `--auth-token-env NAME`, else `TURSO_AUTH_TOKEN`, else
    /// `LIBSQL_AUTH_TOKEN`; no token at all is allowed (a server without auth), and the server's 401 then says which
    /// variable to set.
    static func libSQLToken(_ settings: Settings) throws -> (token: String?, variable: String) {
        if let variable = settings.string(.authTokenEnv) {
            guard let token = settings.environment[variable], !token.isEmpty else {
                throw EmbedSyncError(
                    .usage, "\(variable) (from \(settings.origin(.authTokenEnv))) is not set or empty.")
            }
            return (token, variable)
        }
        for variable in ["TURSO_AUTH_TOKEN", "LIBSQL_AUTH_TOKEN"] {
            if let token = settings.environment[variable], !token.isEmpty { return (token, variable) }
        }
        return (nil, "TURSO_AUTH_TOKEN")
    }
}
