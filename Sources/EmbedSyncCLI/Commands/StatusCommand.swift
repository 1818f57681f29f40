import ArgumentParser
import EmbedSyncCore
import Foundation

/// `embedsync status`: how many rows are embedded, missing, stale, failed, orphaned; the last run.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show what is embedded, missing, stale or failed, and the last run.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "List the rows that failed, with their reasons.") var failures = false

    func run() async throws {
        let context = CLIContext.current
        try await Job.with(common, readOnly: true, context: context) { job in try await report(job, context: context) }
    }

    private func report(_ job: Job, context: CLIContext) async throws {
        let embedder = try job.providers.makeEmbedder(needsKey: false)
        let classifier = RowClassifier(
            template: job.template, model: embedder.identity, selection: Selection(), chunking: try job.chunking())
        _ = try await job.store.checkTemplateFields(job.template)
        let counts = try await Survey(store: job.store, classifier: classifier).run()
        let orphaned = try await job.store.countOrphans()
        let last = try await job.store.lastRun()
        let failureList = failures ? try await job.store.failures(limit: 1000) : []
        let capture = try await (job.store as? any ChangeCapturingStore)?.changeCapture()
        let batches = try await (job.store as? any BatchTrackingStore)?.pendingBatches() ?? []
        let model = embedder.identity
        if output.json {
            var pairs: [(String, JSONValue)] = [
                ("rows_total", .int(Int64(counts.rowsTotal))), ("embedded", .int(Int64(counts.upToDate))),
                ("missing", .int(Int64(counts.missing))), ("stale", .int(Int64(counts.stale))),
                ("failed", .int(Int64(counts.failed))),
                ("orphaned", .int(Int64(orphaned))), ("provider", .string(model.provider)),
                ("model", .string(model.model)),
                ("dimensions", .int(Int64(model.dimensions))), ("last_run", last.map(StatusCommand.runJSON) ?? .null),
                ("skipped_empty", .int(Int64(counts.empty))), ("change_capture", ChangesCommand.json(capture)),
                ("batches", Reports.pendingBatchesJSON(batches, now: unixTime())),
            ]
            if failures {
                pairs.append(
                    (
                        "failures",
                        .array(
                            failureList.map { failure in
                                .object([
                                    ("id", failure.id.jsonValue), ("error_class", .string(failure.errorClass)),
                                    ("message", .string(failure.message)),
                                    ("attempts", .int(Int64(failure.attempts))), ("runs", .int(Int64(failure.runs))),
                                ])
                            })
                    ))
            }
            context.stdout.line(JSONValue.object(pairs).serialized())
            return
        }
        var table = Table(title: "embedsync status")
        table.add("Rows", "\(counts.rowsTotal)")
        table.add("Embedded (fresh)", "\(counts.upToDate)")
        table.add("Missing", "\(counts.missing)")
        table.add("Stale", "\(counts.stale)")
        table.add("Failed", "\(counts.failed)")
        table.add("Empty (skipped)", "\(counts.empty)")
        table.add("Orphaned vectors", "\(orphaned)")
        table.add("Model", model.storageKey)
        if let capture { table.add("Change capture", "on, \(capture.pending) changes pending") }
        if !batches.isEmpty {
            let rows = batches.reduce(0) { $0 + $1.requests }
            table.add("Batch API", "\(batches.count) batches pending (\(rows) rows)")
            for batch in batches {
                let age = formatDuration(unixTime() - batch.createdAt)
                table.add(
                    "  \(batch.batchID ?? batch.fileID)", "\(batch.status.rawValue), \(batch.requests) rows, \(age) old"
                )
            }
        }
        if let last {
            let finished = last.finishedAt.map { Date(timeIntervalSince1970: $0).description } ?? "not finished"
            table.add("Last run", "\(last.status), \(last.embedded) embedded, \(last.failed) failed, \(finished)")
        } else {
            table.add("Last run", "none")
        }
        context.stdout.line(table.render())
        for failure in failureList {
            context.stdout.line(
                """
                  \(failure.id): \(failure.errorClass) after \(failure.attempts) attempt(s) in \(failure.runs) \
                run(s): \(failure.message)
                """
            )
        }
    }

    static func runJSON(_ run: RunRecord) -> JSONValue {
        .object([
            ("id", .string(run.id)), ("status", .string(run.status)),
            ("started_at", .string(iso8601(run.startedAt))),
            ("finished_at", run.finishedAt.map { .string(iso8601($0)) } ?? .null),
            ("selected", .int(Int64(run.selected))), ("embedded", .int(Int64(run.embedded))),
            ("failed", .int(Int64(run.failed))),
            ("skipped", .int(Int64(run.skipped))), ("pruned", .int(Int64(run.pruned))),
            ("tokens", .int(Int64(run.tokens))),
            ("cost_usd", .double(run.costUSD)), ("requests", .int(Int64(run.requests))),
            ("model", .string(run.model.storageKey)),
        ])
    }
}

func iso8601(_ seconds: Double) -> String {
    ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds))
}
