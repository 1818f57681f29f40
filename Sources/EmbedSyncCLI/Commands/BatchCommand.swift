import ArgumentParser
import EmbedSyncCore
import Foundation

/// `embedsync batch cancel`: cancels the pending Batch API jobs of a target.
struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch", abstract: "Manage Batch API jobs submitted with `run --batch-api`.",
        subcommands: [Cancel.self])

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: """
                Cancel the pending Batch API jobs. The next `run --batch-api` applies what they finished and sends \
                the rest again.
                """)

        @OptionGroup var common: CommonOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let context = CLIContext.current
            try await Job.with(common, readOnly: false, context: context) { job in
                let service = try job.providers.makeBatchService()
                let store = try BatchCommand.trackingStore(job)
                var cancelled: [(String, BatchStatus)] = []
                for var batch in try await store.pendingBatches() where !batch.status.isTerminal {
                    var found = batch.batchID
                    if found == nil { found = try await service.find(inputFileID: batch.fileID)?.id }
                    guard let id = found else { continue }
                    let remote: RemoteBatch
                    do {
                        remote = try await service.cancel(id)
                    } catch let error as ProviderError {
                        throw EmbedSyncError(.provider, "Cancelling batch \(id): \(error.text)", underlying: error)
                    }
                    batch.batchID = remote.id
                    batch.status = remote.status
                    try await store.updateBatch(batch)
                    cancelled.append((remote.id, remote.status))
                }
                if output.json {
                    let items = cancelled.map {
                        JSONValue.object([("id", .string($0.0)), ("status", .string($0.1.rawValue))])
                    }
                    context.stdout.line(JSONValue.object([("cancelled", .array(items))]).serialized())
                } else if cancelled.isEmpty {
                    context.stdout.line("No pending Batch API jobs to cancel.")
                } else {
                    for (id, status) in cancelled { context.stdout.line("\(id): \(status.rawValue)") }
                    context.stdout.line(
                        """
                        Cancelled \(cancelled.count) batches. Run `embedsync run --batch-api` to apply what they \
                        finished.
                        """
                    )
                }
            }
        }
    }

    /// The job's store as one that keeps Batch API bookkeeping.
    static func trackingStore(_ job: Job) throws -> any BatchTrackingStore {
        guard let store = job.store as? any BatchTrackingStore else {
            throw EmbedSyncError(
                .usage,
                """
                --batch-api keeps its bookkeeping beside the vectors, in one SQLite, PostgreSQL or libSQL database; \
                it does not work with \(.targetDatabase) yet. Run without --batch-api, or without \(.targetDatabase).
                """)
        }
        return store
    }
}
