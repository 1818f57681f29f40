import ArgumentParser
import EmbedSyncCore

/// `embedsync estimate`: the dry run. No provider call, no write.
struct EstimateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Count the rows that need work, their exact tokens, cost and duration. No calls, no writes.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var selection: SelectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let ids = selection.ids { _ = try validatedIDs(ids) }
    }

    func run() async throws {
        try await EstimateCommand.estimate(common: common, selection: selection, output: output, maxCost: nil)
    }

    static func estimate(
        common: CommonOptions, selection: SelectionOptions, output: OutputOptions, maxCost: Double?
    ) async throws {
        let context = CLIContext.current
        let estimate = try await Job.with(common, readOnly: true, context: context) { job in
            let embedder = try job.providers.makeEmbedder(needsKey: false)
            let configuration = try job.runConfiguration(
                selection: selection, maxCost: maxCost, exclusive: false,
                pricing: try job.providers.pricing(model: embedder.identity.model))
            return try await Estimator(
                store: job.store, model: embedder.identity, tokenCounter: embedder.tokenCounter,
                limits: embedder.limits,
                configuration: configuration, textsPerSecond: (embedder as? any ThroughputHinting)?.textsPerSecond
            ).estimate()
        }
        if output.json {
            context.stdout.line(Reports.estimateJSON(estimate).serialized())
        } else {
            context.stdout.line(Reports.estimateTable(estimate))
        }
    }
}

/// Parses `--ids`, turning a bad list into a usage error that prints with the usage line.
func validatedIDs(_ text: String) throws -> IDSelection {
    do {
        return try IDSelection(parsing: text)
    } catch let error as EmbedSyncError {
        throw ValidationError(error.message(naming: \.flag))
    }
}
