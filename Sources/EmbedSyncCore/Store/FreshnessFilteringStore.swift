/// A store that leaves rows that are certainly fresh out of a run's scan, in SQL, so that a run over an unchanged table
/// transfers nothing (PostgreSQL: a fingerprint of the template and the row's fields is kept beside each vector).
///
/// The fingerprint only ever skips work: a row whose fingerprint does not match is read and classified as usual, and a
/// row the classifier finds up to date gets its fingerprint through ``markFresh(_:key:)``.
public protocol FreshnessFilteringStore: EmbeddingStore {
    /// Whether scans can skip fresh rows now (the target exists, in table mode, with its fingerprint column).
    func canSkipFresh() async throws -> Bool

    /// Like ``EmbeddingStore/scan(after:limit:fields:)``, leaving out rows whose fingerprint for `key.template` still
    /// matches, whose model is `key.modelKey` and that have no failure record. Every row returned carries its
    /// current ``ScannedRow/sourceFingerprint``.
    func scanSkippingFresh(after: RowID?, limit: Int, fields: [String], key: FreshnessKey) async throws -> [ScannedRow]

    /// The number of source rows (`estimate` and `status` count the rows a filtered scan left out as up to date).
    func countSourceRows() async throws -> Int

    /// Records the fingerprints of rows the classifier found up to date, where the stored hash is still
    /// `contentHash` and the row's fields still have the fingerprint the scan read.
    func markFresh(_ rows: [FreshRow], key: FreshnessKey) async throws
}

/// What a fingerprint is valid for.
public struct FreshnessKey: Sendable, Equatable {
    /// The key a scan of every row skips certainly fresh rows with (runs, `estimate`, `status`), when `store` can
    /// (``FreshnessFilteringStore``) and the classifier checks every row as usual (no `--ids`, no `--force`).
    public static func forScan(of store: any EmbeddingStore, classifier: RowClassifier) async throws -> FreshnessKey? {
        let selection = classifier.selection
        guard selection.ids == nil, !selection.force, let filtering = store as? any FreshnessFilteringStore,
            try await filtering.canSkipFresh()
        else { return nil }
        return FreshnessKey(
            template: classifier.freshnessTemplate, modelKey: classifier.model.storageKey,
            fields: classifier.template.fields)
    }

    public var template: String
    public var modelKey: String
    public var fields: [String]

    public init(template: String, modelKey: String, fields: [String]) {
        self.template = template
        self.modelKey = modelKey
        self.fields = fields
    }
}

/// A row found up to date, with what was compared.
public struct FreshRow: Sendable, Equatable {
    public var id: RowID
    public var contentHash: String
    public var fingerprint: String

    public init(id: RowID, contentHash: String, fingerprint: String) {
        self.id = id
        self.contentHash = contentHash
        self.fingerprint = fingerprint
    }
}
