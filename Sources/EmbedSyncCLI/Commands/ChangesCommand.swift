import ArgumentParser
import EmbedSyncCore
import Foundation

/// `embedsync changes enable|disable|status`: change capture, so that keep-fresh runs read only the rows that changed.
struct ChangesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes",
        abstract: "Record changed rows with triggers, so runs read only those (enable, disable, status).",
        discussion: """
            enable installs triggers on the source table (SQLite, PostgreSQL, libSQL) that append the id of every \
            inserted, updated or deleted row to <target>_changes. A run then reads only those rows, and every \
            --full-check-every seconds (default a day), or after a template or model change, every row. \
            disable removes the triggers and the change table.
            """)

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case enable, disable, status
    }

    @Argument(help: "enable, disable or status.") var action: Action
    @OptionGroup var common: CommonOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let context = CLIContext.current
        try await Job.with(common, readOnly: action == .status, context: context) { job in
            guard let store = job.store as? any ChangeCapturingStore else {
                throw EmbedSyncError(
                    .usage,
                    """
                    Change capture needs the rows and the vectors in one database (SQLite, PostgreSQL or libSQL); \
                    with \(.targetDatabase) runs read every row.
                    """)
            }
            switch action {
            case .enable:
                try await store.enableChangeCapture()
                if !output.quiet {
                    context.stdout.line(
                        """
                        Change capture is on: triggers record changed rows. The next run reads every row once; later \
                        runs read only the changed ones (and every row again every --full-check-every seconds).
                        """)
                }
            case .disable:
                let removed = try await store.disableChangeCapture()
                if !output.quiet {
                    context.stdout.line(
                        removed ? "Change capture is off: triggers removed." : "Change capture was off.")
                }
            case .status:
                let state = try await store.changeCapture()
                if output.json {
                    context.stdout.line(ChangesCommand.json(state).serialized())
                } else if let state {
                    let last = state.fullCheck.map { Date(timeIntervalSince1970: $0.startedAt).description } ?? "none"
                    context.stdout.line("Change capture on: \(state.pending) changes pending; last full check \(last).")
                } else {
                    context.stdout.line("Change capture is off.")
                }
            }
        }
    }

    /// `null` when off, else `{pending, last_full_check}` (unix time, or null before the first full check).
    static func json(_ state: CaptureState?) -> JSONValue {
        guard let state else { return .null }
        return .object([
            ("pending", .int(Int64(state.pending))),
            ("last_full_check", state.fullCheck.map { .double($0.startedAt) } ?? .null),
        ])
    }
}
