import ArgumentParser
import EmbedSyncCore
import Foundation

/// `embedsync init`: write a commented embedsync.yaml from the table's schema.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Write a commented embedsync.yaml from the table's schema.")

    @Option(help: "SQLite path or postgres://… URL.") var database: String?
    @Option(help: "Source table.") var table: String?
    @Option(help: "local, openai, openrouter or openai-compatible.") var provider: String = "local"
    @Option(help: "Where to write (default ./embedsync.yaml).") var output: String = "embedsync.yaml"
    @Flag(help: "Overwrite an existing file.") var force = false

    func run() async throws {
        let context = CLIContext.current
        guard Provider(rawValue: provider) != nil else {
            let names = Provider.allCases.map(\.rawValue).joined(separator: ", ")
            throw EmbedSyncError(.usage, "Unknown provider '\(provider)'. Use one of: \(names).")
        }
        let path =
            (output as NSString).isAbsolutePath
            ? output : (context.workingDirectory as NSString).appendingPathComponent(output)
        if FileManager.default.fileExists(atPath: path), !force {
            throw EmbedSyncError(.usage, "'\(path)' exists. Pass --force to overwrite it.")
        }
        var common = try CommonOptions.parse([])
        common.database = database
        common.table = table
        common.provider = provider
        let text = try await Job.with(common, readOnly: true, context: context) { job in
            InitCommand.yaml(
                database: job.settings.string(.database) ?? "", table: job.settings.string(.table) ?? "",
                schema: try await job.store.sourceSchema(), template: job.template.source, provider: provider)
        }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw EmbedSyncError(.usage, "Cannot write '\(path)': \(error.localizedDescription)")
        }
        context.stdout.line("Wrote \(path). Check the template, then run: embedsync estimate && embedsync run")
    }

    static func yaml(
        database: String, table: String, schema: SourceSchema, template: String, provider: String
    ) -> String {
        let entry = (Provider(rawValue: provider) ?? .local).entry
        let model: String
        if let name = entry.defaultModel {
            let note =
                entry.keyVariable.map { "key from \($0)" }
                ?? "\(entry.models.first?.dimensions ?? 0) dimensions, computed locally"
            model = "\(name)  # \(note)"
        } else {
            model = "MODEL-ID  # required; also set base_url"
        }
        let local = entry.provider == .local
        let columns = schema.columns.map { "\($0.name) \($0.declaredType)".trimmingCharacters(in: .whitespaces) }
            .joined(separator: ", ")
        let indentedTemplate = template.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
            .joined(separator: "\n")
        return """
            # embedsync.yaml — written by `embedsync init`. Flags override these keys; EMBEDSYNC_* variables too.
            database: \(database)

            source:
              table: \(table)
              # query: >-
              #   SELECT p.id, p.title, c.name AS category FROM products p JOIN categories c ON c.id = p.category_id
              id: \(schema.idColumn)
              # Columns: \(columns)
              # Mustache: {{column}} inserts a value; {{#column}}…{{/column}} vanishes when it is NULL or empty.
              template: |
            \(indentedTemplate)

            target:
              table: \(table)_embeddings   # or: column: embedding  (vectors in the source table)

            embedding:
              provider: \(provider)
              model: \(model)
              # dimensions: 512          # v3 models can shorten vectors
              # base_url: http://localhost:11434/v1
              # api_key_env: OPENAI_API_KEY

            run:
              batch_size: \(local ? 2048 : 256)
              concurrency: \(entry.defaultConcurrency)
              max_retries: 5
              # requests_per_minute: 3000
              # tokens_per_minute: 1000000
              # max_cost: 5.00
              # long_inputs: chunk       # texts over 8192 tokens: truncate (default) or chunk and average

            """
    }
}
