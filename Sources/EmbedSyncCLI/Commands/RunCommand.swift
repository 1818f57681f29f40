import ArgumentParser
import EmbedSyncCore
import Foundation

/// `embedsync run`: embed the missing and stale rows, prune vectors of deleted rows.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Embed every row that is missing or stale, and remove vectors of deleted rows.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var selection: SelectionOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: [.customLong("dry-run"), .customLong("dry")], help: "Estimate only: no calls, no writes.") var dryRun =
        false
    @Option(help: "Stop before a batch would take the run's cost past this many USD.") var maxCost: Double?
    @Option(help: "Keep running, polling every SECONDS for new and changed rows, until SIGINT/SIGTERM.") var watch:
        Double?
    @Flag(help: "Refuse to start while another exclusive run holds the table (for cron).") var exclusive = false
    @Option(
        help: """
            Seconds to wait for another run on the table (SQLite) and, at the end, for rows other workers hold, \
            before stopping with status 4 (default 600); with --batch-api, how long to poll for pending batches. \
            A bare --wait waits as long as it takes.
            """)
    var wait: String?
    @Flag(
        help: """
            Send the selected rows through the provider's Batch API (openai, openai-compatible) at the batch price: \
            apply the batches that finished, then submit the rest; results arrive within 24 h. Run again (or \
            with --wait) to collect them.
            """)
    var batchAPI = false
    @Option(help: "With --batch-api: rows per submitted batch (default and most: 50000).") var batchAPISize: Int?
    @Option(help: "With change capture: seconds between runs that read every row (default 86400).")
    var fullCheckEvery: String?
    @Flag(help: "With change capture: read every row in this run, not only the changed ones.") var fullCheck = false

    func validate() throws {
        if let ids = selection.ids { _ = try validatedIDs(ids) }
        if let maxCost, !(maxCost >= 0) { throw ValidationError("--max-cost must be a non-negative number of USD.") }
        if let watch, !(watch > 0) { throw ValidationError("--watch must be a positive number of seconds.") }
    }

    func run() async throws {
        if dryRun {
            try await EstimateCommand.estimate(common: common, selection: selection, output: output, maxCost: maxCost)
            return
        }
        let context = CLIContext.current
        var flags = wait.map { [SettingKey.wait: $0] } ?? [:]
        if let fullCheckEvery { flags[.fullCheckEvery] = fullCheckEvery }
        if batchAPI { flags[.batchAPI] = "true" }
        if let batchAPISize { flags[.batchAPISize] = String(batchAPISize) }
        let status = try await Job.with(common, extraFlags: flags, readOnly: false, context: context) { job in
            try await runJob(job, context: context)
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }

    private func runJob(_ job: Job, context: CLIContext) async throws -> ExitStatus {
        if try job.settings.bool(.batchAPI) == true { return try await runBatchAPI(job, context: context) }
        let embedder = try job.providers.makeEmbedder(needsKey: true)
        var configuration = try job.runConfiguration(
            selection: selection, maxCost: maxCost, exclusive: exclusive,
            pricing: try job.providers.pricing(model: embedder.identity.model))
        // A watching process outlasts other runs: unless told otherwise, each pass waits its turn.
        if watch != nil, job.settings.string(.wait) == nil { configuration.lockWaitSeconds = nil }
        configuration.fullCheck = fullCheck
        let reporter = ProgressReporter(
            context: context, quiet: output.quiet || output.json && !context.stderrIsTerminal)
        let runner = Runner(
            store: job.store, embedder: embedder, configuration: configuration, observer: reporter,
            stopSignal: context.stopSignal)
        var status = ExitStatus.success
        repeat {
            let summary = try await runner.run()
            reporter.finish()
            if output.json {
                context.stdout.line(Reports.runJSON(summary).serialized())
            } else if !(watch != nil && summary.selected == 0 && summary.pruned == 0) {
                context.stdout.line(Reports.runTable(summary))
            }
            if summary.outcome == .busy, !output.quiet {
                context.stderr.line(summary.message ?? "Another run holds this table.")
            }
            switch summary.outcome {
            case .stoppedBySignal: return watch != nil ? .success : .stopped
            case .stoppedByMaxCost, .heldByOthers: return .stopped
            case .busy: status = .success
            case .completed: status = summary.failed > 0 ? .rowsFailed : .success
            }
            guard let watch else { break }
            let deadline = Date().addingTimeInterval(watch)
            while Date() < deadline, !context.stopSignal.isRaised {
                try await Task.sleep(for: .milliseconds(100))
            }
        } while !context.stopSignal.isRaised
        return status
    }
}
