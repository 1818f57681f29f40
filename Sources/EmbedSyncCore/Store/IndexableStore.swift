/// A store with an approximate-nearest-neighbour index that can be created and dropped (`embedsync index create|drop`):
/// pgvector's HNSW on PostgreSQL, `libsql_vector_idx` (DiskANN) on libSQL.
public protocol IndexableStore: Sendable {
    /// Creates the index on the vectors (cosine distance) when it does not exist.
    func createIndex() async throws
    /// Drops the index when it exists.
    func dropIndex() async throws
}
