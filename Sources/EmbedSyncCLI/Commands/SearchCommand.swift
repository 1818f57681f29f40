import ArgumentParser
import EmbedSyncCore
import Foundation

/// `embedsync search QUERY`: the top-k rows by cosine similarity.
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Find the rows closest in meaning to QUERY.")

    @Argument(help: "What to look for.") var query: String
    @OptionGroup var common: CommonOptions
    @Option(name: .customShort("k"), help: "How many results (default 10).") var k: Int = 10
    @Option(help: "Drop results whose cosine similarity is below this.") var minScore: Double?
    @Option(name: .customLong("where"), help: "SQL condition on the source rows' columns, e.g. \"section = 'utils'\".")
    var filter: String?
    @Option(help: "libSQL: exact (scan here, default), server (vector_distance_cos on the server) or index.")
    var searchMode: String?
    @Flag(help: "Print one JSON object on stdout.") var json = false

    func validate() throws {
        guard k >= 1 && k <= 10_000 else { throw ValidationError("-k must be between 1 and 10000.") }
        if let minScore, !(minScore >= -1 && minScore <= 1) {
            throw ValidationError("--min-score must be between -1 and 1.")
        }
    }

    func run() async throws {
        let context = CLIContext.current
        let flags: [SettingKey: String] = searchMode.map { [.searchMode: $0] } ?? [:]
        let results = try await Job.with(common, extraFlags: flags, readOnly: true, context: context) { job in
            guard let store = job.store as? any SearchableStore else {
                throw EmbedSyncError(.usage, "This database does not support search.")
            }
            let embedder = try job.providers.makeEmbedder(needsKey: true)
            var searcher = Searcher(store: store, embedder: embedder, template: job.template)
            searcher.searchesChunks = try job.chunking() != nil
            return try await searcher.search(
                query, k: k, minScore: minScore, filter: filter.map { SearchFilter(sql: $0) })
        }
        do {
            if json {
                let items: [JSONValue] = results.map {
                    .object([("id", $0.id.jsonValue), ("score", .double($0.score)), ("text", .string($0.text))])
                }
                context.stdout.line(
                    JSONValue.object([("query", .string(query)), ("results", .array(items))]).serialized())
            } else if results.isEmpty {
                context.stdout.line("No results.")
            } else {
                for (rank, result) in results.enumerated() {
                    let firstLine = result.text.split(separator: "\n").first.map(String.init) ?? ""
                    let rankText = String(rank + 1).count < 2 ? " \(rank + 1)" : "\(rank + 1)"
                    context.stdout.line(
                        "\(rankText). \(String(format: "%.4f", result.score))  [\(result.id)] \(firstLine.prefix(100))")
                }
            }
        }
    }
}
