import EmbedSyncCore
import Foundation
import Logging
import Synchronization

/// A remote libSQL database (sqld, Turso) over Hrana HTTP: vectors as `F32_BLOB(d)`, in a table of their own or in a
/// column of the source table.
///
/// The layout is the SQLite store's (the same tables, the same little-endian float32 bytes), so libSQL's own
/// `vector_distance_cos`, `libsql_vector_idx` and `vector_top_k` work on what EmbedSync writes. Each batch commits in
/// one transaction sent as one HTTP request (a conditional `BEGIN … COMMIT` batch, then `close`); no stream is held
/// while the provider works. Runs on
/// several machines share a table through leased claims in `embedsync_claims` (see ``claim(_:runID:)``).
///
/// ```swift
/// let store = try await LibSQLStore.open(.init(
///     url: try LibSQLURL("libsql://docs-acme.turso.io"), authToken: token, tokenVariable: "TURSO_AUTH_TOKEN",
///     source: .table("pages"), idColumn: nil, target: .table(nil), storeText: true))
/// ```
public final class LibSQLStore: EmbeddingStore, Sendable {
    /// Where the server is and how the tables are laid out.
    public struct Configuration: Sendable {
        public var url: LibSQLURL
        /// The bearer token, or `nil` for a server without auth.
        public var authToken: String?
        /// The environment variable the token came from (messages name it, never the token).
        public var tokenVariable: String
        /// A PEM file of the certificate authorities to trust instead of the system's bundle
        /// (``HranaClient/Configuration/caFile``); the CLI reads it from `SSL_CERT_FILE`.
        public var caFile: String?
        public var source: SourceSpec
        /// The id column; `nil` means the table's primary key (or `id` for a query).
        public var idColumn: String?
        public var target: TargetSpec
        /// Keep the rendered text beside each vector (table mode).
        public var storeText: Bool
        /// How long a worker's claim on a row lasts before other workers may take it (refreshed by each commit).
        public var claimLease: Duration = .seconds(120)
        /// Rows per page when reading vectors for search (kept well under the server's 10 MB response limit).
        public var searchPageBytes: Int = 6_000_000
        /// How ``search(query:model:k:minScore:filter:fields:)`` finds the nearest vectors.
        public var searchMode: SearchMode = .exact
        /// The deadline for streaming every vector of an exact search through `/v3/cursor` (a stalled answer fails
        /// after the client's 60 s read timeout long before).
        public var cursorTimeout: Duration = .seconds(1800)
        /// Set when the rows live in another database (`target.database`): this store then holds only vectors and
        /// bookkeeping, ``SplitStore`` reads the rows and hands over the source's schema
        /// (``adoptSourceSchema(_:)``).
        public var detached = false
        public var logger: Logger = Logger(label: "embedsync.libsql")

        public init(
            url: LibSQLURL, authToken: String?, tokenVariable: String, source: SourceSpec, idColumn: String?,
            target: TargetSpec, storeText: Bool
        ) {
            self.url = url
            self.authToken = authToken
            self.tokenVariable = tokenVariable
            self.source = source
            self.idColumn = idColumn
            self.target = target
            self.storeText = storeText
        }
    }

    /// Where the nearest vectors are found.
    public enum SearchMode: String, Sendable, CaseIterable {
        /// Pull the vectors page by page and score them here with SIMD (the default: exact, no server CPU).
        case exact
        /// Ask the server: `ORDER BY vector_distance_cos(embedding, vector32(?)) LIMIT k` (exact, scalar, one round
        /// trip).
        case server
        /// libSQL's DiskANN index (`embedsync index create`): `vector_top_k` candidates, re-scored exactly with
        /// `vector_distance_cos` (approximate recall, fastest on large tables).
        case index
    }

    public let configuration: Configuration
    let client: HranaClient
    let state: Mutex<State>

    struct State {
        var schema: SourceSchema?
        /// Tables known to exist (they only disappear through ``reset()``).
        var existing: Set<String> = []
        /// What scans saw stored for recent rows, so a claim can tell a row another worker stored meanwhile.
        var seen: [RowID: String] = [:]
    }

    /// Connects and checks the token with one read, so a bad URL or token fails here with a clear message.
    /// - Throws: ``EmbedSyncError`` (`.database`) when the server cannot be reached or refuses the token.
    public static func open(_ configuration: Configuration) async throws -> LibSQLStore {
        var hrana = HranaClient.Configuration(
            url: configuration.url, authToken: configuration.authToken, tokenVariable: configuration.tokenVariable)
        hrana.maxRetries = 4
        hrana.caFile = configuration.caFile
        let store = LibSQLStore(configuration, client: HranaClient(hrana, logger: configuration.logger))
        _ = try await store.client.execute(HranaStatement("SELECT 1"))
        return store
    }

    /// ``open(_:)`` as a plain ``EmbeddingStore``.
    public static func connect(_ configuration: Configuration) async throws -> any EmbeddingStore {
        try await open(configuration)
    }

    init(_ configuration: Configuration, client: HranaClient) {
        self.configuration = configuration
        self.client = client
        self.state = Mutex(State())
    }

    /// The table vectors go to in table mode, or the side table of column mode.
    var targetTable: String {
        switch configuration.target {
        case .table(let name): return name ?? "\(configuration.source.baseName)_embeddings"
        case .column: return "\(configuration.source.baseName)_embedsync"
        }
    }

    var isColumnMode: Bool {
        if case .column = configuration.target { return true }
        return false
    }

    /// `"name"` for a table source, `(query)` for a query source.
    var sourceSQL: String {
        switch configuration.source {
        case .table(let name): return quoteIdentifier(name)
        case .query(let sql): return "(\(sql))"
        }
    }

    /// Whether a table exists, remembered once it does.
    func tableExists(_ name: String) async throws -> Bool {
        if state.withLock({ $0.existing.contains(name) }) { return true }
        let result = try await client.execute(
            HranaStatement(
                "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", [.text(name)]))
        let exists = (result.rows.first?.first?.int ?? 0) > 0
        if exists { state.withLock { _ = $0.existing.insert(name) } }
        return exists
    }

    func forget(_ tables: [String]) {
        state.withLock { state in for table in tables { state.existing.remove(table) } }
    }

    /// A value for an id column.
    static func value(_ id: RowID) -> HranaValue {
        switch id {
        case .int(let number): return .integer(number)
        case .text(let text): return .text(text)
        }
    }

    /// Ids as a JSON array for `json_each(?)`: integers as numbers, text as strings.
    static func jsonIDs(_ ids: [RowID]) -> HranaValue {
        let items = ids.map { id -> String in
            switch id {
            case .int(let number): return String(number)
            case .text(let text):
                let data =
                    (try? JSONSerialization.data(
                        withJSONObject: [text], options: [.fragmentsAllowed, .withoutEscapingSlashes])) ?? Data()
                return String(decoding: data, as: UTF8.self).dropFirst().dropLast().description
            }
        }
        return .text("[" + items.joined(separator: ",") + "]")
    }

    static func rowID(_ value: HranaValue) -> RowID? {
        switch value {
        case .integer(let number): return .int(number)
        case .text(let text): return .text(text)
        case .float(let number): return number == number.rounded() ? .int(Int64(number)) : .text(String(number))
        case .blob(let data): return .text(String(decoding: data, as: UTF8.self))
        case .null: return nil
        }
    }

    /// Vectors as little-endian float32 bytes: libSQL's `F32_BLOB` layout.
    static func encode(_ vector: [Float]) -> Data {
        var data = Data(count: vector.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (index, value) in vector.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        return data
    }

    /// Nothing to close: every call opens and closes its own stream.
    public func close() async {}
}

extension LibSQLStore.Configuration: SecretHolding {
    public var shownFields: KeyValuePairs<String, Any> {
        [
            "url": url, "authToken": Redacted.secret(authToken), "tokenVariable": tokenVariable,
            "caFile": caFile as Any,
            "source": source, "target": target,
        ]
    }
}
