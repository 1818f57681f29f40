/// One row read from the source, with what the store already knows about it.
public struct ScannedRow: Sendable {
    /// The row's id.
    public var id: RowID
    /// The template fields, by column name; `nil` is SQL NULL.
    public var values: [String: String?]
    /// What is stored for this row, when anything is.
    public var stored: StoredState?
    /// The row's failure record, when earlier runs failed to embed it.
    public var failure: FailureState?
    /// The fingerprint of the row's fields, from a ``FreshnessFilteringStore``'s scan (`nil` from other scans).
    public var sourceFingerprint: String?

    public init(id: RowID, values: [String: String?], stored: StoredState? = nil, failure: FailureState? = nil) {
        self.id = id
        self.values = values
        self.stored = stored
        self.failure = failure
    }
}

/// The bookkeeping stored beside a vector.
public struct StoredState: Sendable, Equatable {
    public var contentHash: String
    public var modelKey: String

    public init(contentHash: String, modelKey: String) {
        self.contentHash = contentHash
        self.modelKey = modelKey
    }
}

/// How often a row has failed, and for which content.
public struct FailureState: Sendable, Equatable {
    public var runs: Int
    public var contentHash: String?

    public init(runs: Int, contentHash: String?) {
        self.runs = runs
        self.contentHash = contentHash
    }
}

/// A column of the source, as the store's schema reports it.
public struct SourceColumn: Sendable, Equatable {
    public var name: String
    public var declaredType: String
    /// Whether the column holds text a user would embed (TEXT, VARCHAR, CHAR, CLOB, JSON…).
    public var isTextLike: Bool

    public init(name: String, declaredType: String, isTextLike: Bool) {
        self.name = name
        self.declaredType = declaredType
        self.isTextLike = isTextLike
    }
}

/// The shape of the source: its id column and its other columns, in order.
public struct SourceSchema: Sendable {
    public var idColumn: String
    public var columns: [SourceColumn]

    public init(idColumn: String, columns: [SourceColumn]) {
        self.idColumn = idColumn
        self.columns = columns
    }

    /// The id column of a table: `requested` when the table has it, else its single-column primary key.
    /// - Throws: ``EmbedSyncError`` (`.usage`) naming the table's columns, or saying its key is missing or composite.
    package static func idColumn(
        requested: String?, columns: [SourceColumn], primaryKeys: [String], table name: String
    ) throws -> String {
        if let requested {
            guard columns.contains(where: { $0.name == requested }) else {
                throw EmbedSyncError(
                    .usage,
                    """
                    No column '\(requested)' in table '\(name)' for \(.idColumn). Columns: \
                    \(columns.map(\.name).joined(separator: ", ")).
                    """
                )
            }
            return requested
        }
        guard primaryKeys.count == 1 else {
            throw EmbedSyncError(
                .usage,
                """
                Table '\(name)' has \(primaryKeys.isEmpty ? "no" : "a composite") primary key. Pass \(.idColumn) \
                COLUMN naming a unique integer or text column.
                """
            )
        }
        return primaryKeys[0]
    }

    public func column(named name: String) -> SourceColumn? {
        columns.first { $0.name == name }
    }

    /// Whether ids are integers: the id column is declared INT-like, or (a query's untyped column) holds numbers.
    /// Stores give their own id columns the same type, so joins on the id can use the index.
    public var hasIntegerIDs: Bool {
        guard let id = column(named: idColumn) else { return true }
        let type = id.declaredType.uppercased()
        if type.isEmpty { return !id.isTextLike }
        return type.contains("INT") || type.contains("SERIAL")
    }
}
