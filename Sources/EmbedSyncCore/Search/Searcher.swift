import Foundation

/// Semantic search over a store: embeds the query with the store's model and returns the closest rows.
///
/// ```swift
/// let searcher = Searcher(store: store, embedder: embedder, template: template)
/// let results = try await searcher.search("a tool to compress files", k: 5)
/// ```
public struct Searcher: Sendable {
    public let store: any SearchableStore
    public let embedder: any Embedder
    public let template: TextTemplate
    /// The store's vectors held in memory, when the caller keeps them (a server); `nil` reads them from the store.
    public let index: MemoryVectorIndex?
    /// Rank rows by their best chunk (``ChunkStore``, for targets filled with ``RunConfiguration/chunking``); each
    /// result's text is then that chunk's text. The in-memory index is not used.
    public var searchesChunks = false

    public init(
        store: any SearchableStore, embedder: any Embedder, template: TextTemplate, index: MemoryVectorIndex? = nil
    ) {
        self.store = store
        self.embedder = embedder
        self.template = template
        self.index = index.flatMap { $0.model == embedder.identity ? $0 : nil }
    }

    /// The top `k` rows by cosine similarity, best first.
    /// - Parameters:
    ///   - minScore: drop results below this cosine similarity.
    ///   - filter: a condition on the source rows' own columns, by their bare names (run read-only).
    /// - Throws: ``EmbedSyncError`` when the stored vectors are of another model, or the query cannot be embedded.
    public func search(
        _ query: String, k: Int = 10, minScore: Double? = nil, filter: SearchFilter? = nil
    ) async throws -> [SearchResult] {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw EmbedSyncError(.usage, "The search query is empty.") }
        guard k > 0 else { throw EmbedSyncError(.usage, "-k must be at least 1.") }
        let model = embedder.identity
        let stored =
            if let index { try await index.storedModels() } else { try await store.storedModels() }
        if !stored.isEmpty, stored[model.storageKey] == nil {
            let models = stored.keys.sorted().joined(separator: ", ")
            throw EmbedSyncError(
                .usage,
                """
                The stored vectors were made by \(models), not \(model.storageKey). Search with the same \
                \(.provider), \(.model) and \(.dimensions) (for the local model also \(.precision)), or run \
                `embedsync run` to re-embed.
                """
            )
        }
        let vector: [Float]
        do {
            let response = try await embedder.embed([trimmed])
            guard let first = response.vectors.first,
                VectorValidator.problem(with: first, expectedDimensions: model.dimensions) == nil
            else {
                throw EmbedSyncError(.provider, "The provider returned no valid vector for the query.")
            }
            vector = first
        } catch let error as ProviderError {
            throw EmbedSyncError(.provider, "Cannot embed the query: \(error.detail)", underlying: error)
        }
        if searchesChunks { return try await chunkResults(query: vector, k: k, minScore: minScore, filter: filter) }
        let hits =
            if let index {
                try await index.search(query: vector, k: k, minScore: minScore, filter: filter)
            } else {
                try await store.search(
                    query: vector, model: model, k: k, minScore: minScore, filter: filter, fields: template.fields)
            }
        let rows = try await store.rows(ids: hits.map(\.id), fields: template.fields)
        var values: [RowID: [String: String?]] = [:]
        for row in rows { values[row.id] = row.values }
        return hits.map { hit in
            let text = values[hit.id].map { template.render($0) } ?? hit.storedText ?? ""
            return SearchResult(id: hit.id, score: hit.score, text: text)
        }
    }
}

/// One search result: SPEC §5's `id, score, text`.
public struct SearchResult: Sendable {
    public var id: RowID
    /// Cosine similarity.
    public var score: Double
    /// The row rendered with the template.
    public var text: String

    public init(id: RowID, score: Double, text: String) {
        self.id = id
        self.score = score
        self.text = text
    }
}
