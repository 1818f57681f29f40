import ArgumentParser
import EmbedSyncCore
import EmbedSyncPostgres

/// `embedsync index create|drop`: the PostgreSQL HNSW index for search.
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Create or drop the PostgreSQL HNSW index (vector_cosine_ops) used by search.")

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
                    .usage, "Indexes are for PostgreSQL (pgvector HNSW). SQLite search is an exact scan and needs none."
                )
            }
            switch action {
            case .create: try await store.createIndex()
            case .drop: try await store.dropIndex()
            }
        }
        context.stdout.line(action == .create ? "HNSW index ready." : "HNSW index dropped.")
    }
}
