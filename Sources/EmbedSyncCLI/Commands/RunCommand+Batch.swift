import EmbedSyncCore
import Foundation

extension RunCommand {
    /// `run --batch-api`: one pass of collect and submit, or (with `--wait`) until nothing is pending.
    func runBatchAPI(_ job: Job, context: CLIContext) async throws -> ExitStatus {
        if watch != nil {
            throw EmbedSyncError(
                .usage,
                """
                --batch-api and --watch do not go together: Batch API results arrive within 24 h. Run \
                `embedsync run --batch-api` from cron instead (each run collects and submits).
                """)
        }
        let service = try job.providers.makeBatchService()
        let store = try BatchCommand.trackingStore(job)
        var configuration = try job.runConfiguration(
            selection: selection, maxCost: maxCost, exclusive: exclusive,
            pricing: try job.providers.pricing(model: service.identity.model))
        configuration.fullCheck = fullCheck
        var limits = BatchLimits()
        if let size = try job.settings.positiveInt(.batchAPISize) {
            guard size <= limits.maxRequests else {
                throw EmbedSyncError(
                    .usage, "\(job.settings.origin(.batchAPISize)) \(size) is over the Batch API's 50000 requests.")
            }
            limits.maxRequests = size
        }
        let wait: Double? =
            job.settings.string(.wait) == nil ? nil : (try RunSettings(job.settings).wait ?? .infinity)
        let reporter = ProgressReporter(
            context: context, quiet: output.quiet || output.json && !context.stderrIsTerminal)
        let runner = BatchRunner(
            store: store, service: service, configuration: configuration, limits: limits, waitSeconds: wait,
            observer: reporter, stopSignal: context.stopSignal)
        let summary = try await runner.run()
        reporter.finish()
        if output.json {
            context.stdout.line(Reports.runJSON(summary).serialized())
        } else {
            context.stdout.line(Reports.runTable(summary))
        }
        switch summary.outcome {
        case .stoppedBySignal, .stoppedByMaxCost, .heldByOthers: return .stopped
        case .busy:
            if !output.quiet { context.stderr.line(summary.message ?? "Another run holds this table.") }
            return .success
        case .completed: return summary.failed > 0 ? .rowsFailed : .success
        }
    }
}
