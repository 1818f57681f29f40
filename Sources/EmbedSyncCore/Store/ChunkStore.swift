/// A store that keeps several vectors per row (``RunConfiguration/chunking``) in a chunk table beside the target,
/// `<target>_chunks`: row id, chunk number, the chunk's span in the row's rendered text (UTF-8 bytes), its text, its
/// vector, the row's content hash and the model.
///
/// A row's chunks arrive with it in ``EmbeddedRow/chunks``; ``EmbeddingStore/commit(_:)`` replaces all the chunks of
/// every such row in the same transaction as the row's vector and bookkeeping, and a row's chunks go when its row in
/// the target goes (pruning, reset). Only chunks whose content hash and model are the target row's are searched.
public protocol ChunkStore: SearchableStore {
    /// Checks that the target can hold chunks (table mode) without writing.
    /// - Throws: ``EmbedSyncError`` (`.usage`) for column mode, or a target that cannot hold chunks.
    func validateChunkTarget() async throws

    /// The top `k` rows by their best chunk's cosine similarity to `query`, best first, each row once, with the best
    /// chunk's text in ``SearchHit/storedText``. Arguments as
    /// ``SearchableStore/search(query:model:k:minScore:filter:fields:)``.
    func searchChunks(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit]

    /// The stored chunks of these rows, by row id and chunk number.
    func storedChunks(ids: [RowID]) async throws -> [StoredChunk]
}

/// One chunk of a row, embedded, on its way to the store.
public struct EmbeddedChunk: Sendable, Equatable {
    /// 0-based position among the row's chunks.
    public var number: Int
    /// Span in the row's rendered text, in UTF-8 bytes: `start..<end`.
    public var start: Int
    public var end: Int
    public var text: String
    public var vector: [Float]

    public init(number: Int, start: Int, end: Int, text: String, vector: [Float]) {
        self.number = number
        self.start = start
        self.end = end
        self.text = text
        self.vector = vector
    }
}

/// A chunk as a store holds it.
public struct StoredChunk: Sendable, Equatable {
    public var id: RowID
    public var number: Int
    public var start: Int
    public var end: Int
    public var text: String
    public var contentHash: String
    public var modelKey: String

    public init(id: RowID, number: Int, start: Int, end: Int, text: String, contentHash: String, modelKey: String) {
        self.id = id
        self.number = number
        self.start = start
        self.end = end
        self.text = text
        self.contentHash = contentHash
        self.modelKey = modelKey
    }
}

/// Ranks rows by their best chunk in an exact scan: feed every chunk's score (a row's chunks one after another, as
/// a scan ordered by row id reads them); keeps the best chunk of the current row and the top `k` rows, so memory
/// stays flat.
public struct BestChunkRanking: Sendable {
    public let k: Int
    public let minScore: Double?
    private var current: (id: RowID, score: Double, text: String)?
    private var top: [(id: RowID, score: Double, text: String)] = []

    public init(k: Int, minScore: Double?) {
        self.k = max(0, k)
        self.minScore = minScore
    }

    /// One chunk of row `id` with its cosine similarity to the query.
    public mutating func add(id: RowID, score: Double, text: @autoclosure () -> String) {
        if let row = current, row.id == id {
            if score > row.score { current = (id, score, text()) }
            return
        }
        flush()
        current = (id, score, text())
    }

    /// The rows, best first (ties by id), each with its best chunk's text as ``SearchHit/storedText``.
    public mutating func finish() -> [SearchHit] {
        flush()
        return top.map { SearchHit(id: $0.id, score: $0.score, values: [:], storedText: $0.text) }
    }

    private mutating func flush() {
        guard let row = current else { return }
        current = nil
        if let minScore, row.score < minScore { return }
        let position = top.firstIndex { $0.score < row.score || ($0.score == row.score && row.id < $0.id) }
        top.insert(row, at: position ?? top.count)
        if top.count > k { top.removeLast() }
    }

    /// The cosine similarity of two vectors (0 when either is all zeros).
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0
        var normA = 0.0
        var normB = 0.0
        for i in 0..<min(a.count, b.count) {
            dot += Double(a[i]) * Double(b[i])
            normA += Double(a[i]) * Double(a[i])
            normB += Double(b[i]) * Double(b[i])
        }
        guard normA > 0, normB > 0 else { return 0 }
        return dot / (normA.squareRoot() * normB.squareRoot())
    }
}
