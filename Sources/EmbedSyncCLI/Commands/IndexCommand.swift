import ArgumentParser
import EmbedSyncCore
import EmbedSyncPostgres

/// `embedsync index create|drop`: the PostgreSQL HNSW index for search, or libSQL's `libsql_vector_idx`.
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Create or drop the vector index: PostgreSQL HNSW (vector_cosine_ops), libSQL libsql_vector_idx.")

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case create, drop
    }

    @Argument(help: "create or drop.") var action: Action
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let context = CLIContext.current
        try await Job.with(common, readOnly: false, context: context) { job in
            guard let store = job.store as? any IndexableStore else {
                throw EmbedSyncError(
                    .usage,
                    """
                    Indexes are for PostgreSQL (pgvector HNSW) and libSQL (libsql_vector_idx). SQLite search is an \
                    exact scan and needs none.
                    """
                )
            }
            switch action {
            case .create: try await store.createIndex()
            case .drop: try await store.dropIndex()
            }
        }
        context.stdout.line(action == .create ? "Vector index ready." : "Vector index dropped.")
    }
}
