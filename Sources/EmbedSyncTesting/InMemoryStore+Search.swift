import EmbedSyncCore
import Foundation

/// Search: an exact cosine scan over the vectors of one model.
extension InMemoryStore {
    public func search(
        query: [Float], model: ModelIdentity, k: Int, minScore: Double?, filter: SearchFilter?, fields: [String]
    ) async throws -> [SearchHit] {
        guard filter == nil else {
            throw EmbedSyncError(.usage, "The in-memory store cannot run a SQL filter; search it without one.")
        }
        let query = VectorScan.normalized(query)
        let candidates: [(RowID, StoredVector, [String: String?]?)] = shared.database.withLock { state in
            state.vectors.filter { $0.value.state.modelKey == model.storageKey }.map {
                ($0.key, $0.value, state.source[$0.key])
            }
        }
        var hits: [SearchHit] = []
        for (id, stored, values) in candidates {
            let vector = VectorScan.normalized(stored.vector)
            let score = Double(zip(query, vector).reduce(Float(0)) { $0 + $1.0 * $1.1 })
            if let minScore, score < minScore { continue }
            let fieldValues =
                values.map { values in Dictionary(uniqueKeysWithValues: fields.map { ($0, values[$0] ?? nil) }) } ?? [:]
            hits.append(SearchHit(id: id, score: score, values: fieldValues, storedText: stored.text))
        }
        return Array(hits.sorted { ($0.score, $1.id) > ($1.score, $0.id) }.prefix(k))
    }

    public func storedModels() async throws -> [String: Int] {
        shared.database.withLock { state in
            state.vectors.values.reduce(into: [:]) { counts, stored in counts[stored.state.modelKey, default: 0] += 1 }
        }
    }
}
