import ArgumentParser
import EmbedSyncCore

/// `embedsync reset`: delete the stored vectors and bookkeeping of the target.
struct ResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset", abstract: "Delete every stored vector and the bookkeeping of this target.")

    @OptionGroup var common: CommonOptions
    @Flag(help: "Confirm; without it nothing is deleted.") var yes = false

    func run() async throws {
        let context = CLIContext.current
        guard yes else {
            throw EmbedSyncError(
                .usage, "reset deletes every stored vector of this target. Run again with --yes to confirm.")
        }
        try await Job.with(common, readOnly: false, context: context) { job in try await job.store.reset() }
        context.stdout.line("Deleted the stored vectors and bookkeeping.")
    }
}
