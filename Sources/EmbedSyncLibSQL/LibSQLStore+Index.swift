import EmbedSyncCore

extension LibSQLStore: IndexableStore {
    /// The table and column holding the vectors, and the index's name (`<table>_<column>_idx`).
    var indexTarget: (table: String, column: String, name: String) {
        if case .column(let column) = configuration.target, case .table(let table) = configuration.source {
            return (table, column, "\(table)_\(column)_idx")
        }
        return (targetTable, "embedding", "\(targetTable)_embedding_idx")
    }

    /// Creates libSQL's DiskANN index (`libsql_vector_idx`, cosine metric) on the vectors, so that the app's
    /// `vector_top_k('<name>', vector32(?), k)` works; EmbedSync's own search stays an exact scan.
    /// - Throws: ``EmbedSyncError`` (`.usage`) when nothing was embedded yet (the vector table does not exist).
    public func createIndex() async throws {
        let (table, column, name) = indexTarget
        guard try await tableExists(table) else {
            throw EmbedSyncError(.usage, "No vectors in '\(table)' yet: run `embedsync run` before creating the index.")
        }
        _ = try await client.batch([
            HranaStatement(
                "CREATE INDEX IF NOT EXISTS \(quoteIdentifier(name)) ON \(quoteIdentifier(table)) "
                    + "(libsql_vector_idx(\(quoteIdentifier(column)), 'metric=cosine'))", wantRows: false)
        ])
    }

    public func dropIndex() async throws {
        _ = try await client.batch([
            HranaStatement("DROP INDEX IF EXISTS \(quoteIdentifier(indexTarget.name))", wantRows: false)
        ])
    }
}
