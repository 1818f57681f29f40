import EmbedSyncCore
import EmbedSyncPostgres
import EmbedSyncSQLite
import Foundation
import ServiceLifecycle

/// A store as opened, with the services (connection pools) that must run while it is used.
struct OpenedStore: Sendable {
    let store: any EmbeddingStore
    let services: [any Service]
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
            return .column(column)
        }
        return .table(settings.string(.targetTable))
    }

    static func databaseURL(_ settings: Settings) throws -> String {
        guard let url = settings.string(.database), !url.isEmpty else {
            throw EmbedSyncError(
                .usage,
                """
                No database: pass --database PATH (a SQLite file) or postgres://… (or set DATABASE_URL or `database` \
                in embedsync.yaml).
                """
            )
        }
        return url
    }

    static func isPostgres(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    /// - Parameter readOnly: estimates and status open SQLite read-only.
    static func open(_ settings: Settings, readOnly: Bool, context: CLIContext) async throws -> OpenedStore {
        let url = try databaseURL(settings)
        let source = try source(settings)
        let target = try target(settings)
        let storeText = try settings.bool(.storeText) ?? true
        if isPostgres(url) {
            var configuration = PostgresStore.Configuration(
                url: url, source: source, idColumn: settings.string(.id), target: target, storeText: storeText,
                environment: settings.environment)
            if let lease = try settings.positiveInt(.claimLease) { configuration.claimLease = .seconds(lease) }
            let store = try await PostgresStore.open(configuration)
            return OpenedStore(store: store, services: [store])
        }
        var path = url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url
        if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
        if !(path as NSString).isAbsolutePath {
            path = (context.workingDirectory as NSString).appendingPathComponent(path)
        }
        let store = try SQLiteStore(
            SQLiteStore.Configuration(
                path: path, source: source, idColumn: settings.string(.id), target: target, storeText: storeText,
                readOnly: readOnly))
        return OpenedStore(store: store, services: [])
    }
}
