/// A store whose vectors can be held in memory for search by ``MemoryVectorIndex``.
public protocol VectorSnapshotStore: SearchableStore {
    /// Every stored vector of `model`, scaled to unit length (zero vectors left out), with its row id.
    func vectorSnapshot(model: ModelIdentity) async throws -> VectorSnapshot

    /// The ids of the source rows matching `filter` (checked as ``SearchableStore/search`` checks it).
    func ids(matching filter: SearchFilter) async throws -> [RowID]

    /// A number that changes whenever anything — this process or another — commits to the database.
    func changeVersion() async throws -> Int64
}

/// The vectors of one model as one row-major matrix of unit vectors, and what else was stored beside them.
public struct VectorSnapshot: Sendable {
    public var ids: [RowID]
    /// `ids.count` × `dimensions` floats, each row of unit length.
    public var vectors: [Float]
    public var dimensions: Int
    /// Every model with vectors stored, with counts (as ``SearchableStore/storedModels()``).
    public var models: [String: Int]

    public init(ids: [RowID], vectors: [Float], dimensions: Int, models: [String: Int]) {
        self.ids = ids
        self.vectors = vectors
        self.dimensions = dimensions
        self.models = models
    }
}

/// Search over vectors held in memory: a query costs a SIMD scan on both cores, not a table read.
///
/// Loaded from the store at ``load()``; before each query the store's ``VectorSnapshotStore/changeVersion()`` is
/// read (one cheap statement) and the vectors are loaded again when anything was committed since, so results are
/// never older than the query. Queries arriving during a reload wait for that one reload.
///
/// ```swift
/// let index = MemoryVectorIndex(store: store, model: embedder.identity)
/// try await index.load()
/// let searcher = Searcher(store: store, embedder: embedder, template: template, index: index)
/// ```
public actor MemoryVectorIndex {
    /// One loaded state; immutable, so scans run outside the actor.
    final class Loaded: Sendable {
        let snapshot: VectorSnapshot
        let position: [RowID: Int]
        let version: Int64

        init(snapshot: VectorSnapshot, version: Int64) {
            self.snapshot = snapshot
            self.version = version
            var position: [RowID: Int] = [:]
            position.reserveCapacity(snapshot.ids.count)
            for (index, id) in snapshot.ids.enumerated() { position[id] = index }
            self.position = position
        }
    }

    public nonisolated let store: any VectorSnapshotStore
    public nonisolated let model: ModelIdentity
    private var loaded: Loaded?
    private var pending: (version: Int64, task: Task<Loaded, any Error>)?
    /// How many times the vectors were read from the store.
    public private(set) var loads = 0

    public init(store: any VectorSnapshotStore, model: ModelIdentity) {
        self.store = store
        self.model = model
    }

    /// Reads the vectors (again, if the database changed since they were read).
    public func load() async throws {
        _ = try await fresh()
    }

    /// How many vectors are held.
    public var count: Int { loaded?.snapshot.ids.count ?? 0 }

    /// The models with stored vectors, with counts, as of the newest commit.
    public func storedModels() async throws -> [String: Int] {
        try await fresh().snapshot.models
    }

    private func fresh() async throws -> Loaded {
        let version = try await store.changeVersion()
        if let loaded, loaded.version == version { return loaded }
        if let pending, pending.version == version { return try await pending.task.value }
        let task = Task { [store, model] in
            Loaded(snapshot: try await store.vectorSnapshot(model: model), version: version)
        }
        pending = (version, task)
        defer { if pending?.version == version { pending = nil } }
        let result = try await task.value
        loads += 1
        loaded = result
        return result
    }

    /// The top `k` rows by cosine similarity to `query`, best first, as ``SearchableStore/search`` answers.
    public nonisolated func search(
        query: [Float], k: Int, minScore: Double?, filter: SearchFilter?
    ) async throws -> [SearchHit] {
        let loaded = try await fresh()
        let snapshot = loaded.snapshot
        guard k > 0, query.count == snapshot.dimensions, !snapshot.ids.isEmpty else { return [] }
        let unit = VectorScan.normalized(query)
        let floor = minScore.map { Float($0) - 1e-6 } ?? -.infinity
        let top: [(score: Float, index: Int)]
        if let filter {
            let rows = try await store.ids(matching: filter).compactMap { loaded.position[$0] }
            top = Self.scan(unit, snapshot, rows: rows, k: k, floor: floor)
        } else {
            top = snapshot.vectors.withUnsafeBufferPointer { matrix in
                VectorScan.topK(
                    query: unit, matrix: matrix, count: snapshot.ids.count, dimensions: snapshot.dimensions,
                    norms: nil, k: k, minScore: floor)
            }
        }
        return top.map { SearchHit(id: snapshot.ids[$0.index], score: Double($0.score), values: [:], storedText: nil) }
    }

    /// The top `k` of the given rows only (a filtered query).
    private static func scan(
        _ query: [Float], _ snapshot: VectorSnapshot, rows: [Int], k: Int, floor: Float
    ) -> [(score: Float, index: Int)] {
        var heap = TopK(k: k)
        query.withUnsafeBufferPointer { q in
            snapshot.vectors.withUnsafeBufferPointer { matrix in
                for row in rows {
                    let score = VectorScan.dot(q, matrix, offset: row * snapshot.dimensions, dimensions: query.count)
                    if score >= floor { heap.insert(score: score, index: row) }
                }
            }
        }
        return heap.sorted()
    }
}
