/// A store that can answer nearest-neighbour queries over the vectors it holds.
public protocol SearchableStore: EmbeddingStore {
    /// The top `k` rows by cosine similarity to `query`, best first.
    ///
    /// Only vectors of `model` are considered (vectors of another model are never compared).
    /// - Parameters:
    ///   - query: the query vector (any norm; it is normalised).
    ///   - minScore: drop results whose cosine similarity is below this.
    ///   - filter: a condition on the source rows' own columns (`--where`, or the server's structured `where`), run
    ///     read-only with its values bound as parameters.
    ///   - fields: the template fields to return with each hit, so the caller can render its text.
    func search(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit]

    /// The model identities of the vectors stored, with counts (to refuse a query with another model).
    func storedModels() async throws -> [String: Int]
}

/// One search result.
public struct SearchHit: Sendable {
    public var id: RowID
    /// Cosine similarity in [-1, 1].
    public var score: Double
    /// The source row's template fields when the store reads them with the search (empty otherwise, and when the
    /// source row is gone); ``Searcher`` reads them through ``EmbeddingStore/rows(ids:fields:)``.
    public var values: [String: String?]
    /// The text stored beside the vector, when the target keeps it.
    public var storedText: String?

    public init(id: RowID, score: Double, values: [String: String?], storedText: String?) {
        self.id = id
        self.score = score
        self.values = values
        self.storedText = storedText
    }
}
