import EmbedSyncCore

/// PostgreSQL with pgvector. Not built yet: this stub only fixes the API the CLI calls.
public final class PostgresStore: Sendable {
    public struct Configuration: Sendable {
        public var url: String
        public var source: SourceSpec
        public var idColumn: String?
        public var target: TargetSpec
        public var storeText: Bool
        /// The environment, for `PGPASSWORD` and friends (library code never reads the process environment).
        public var environment: [String: String]

        public init(url: String, source: SourceSpec, idColumn: String?, target: TargetSpec, storeText: Bool, environment: [String: String]) {
            self.url = url
            self.source = source
            self.idColumn = idColumn
            self.target = target
            self.storeText = storeText
            self.environment = environment
        }
    }

    public static func connect(_ configuration: Configuration) async throws -> any EmbeddingStore {
        throw EmbedSyncError(.usage, "PostgreSQL support is not built yet. Use a SQLite file for now.")
    }
}
