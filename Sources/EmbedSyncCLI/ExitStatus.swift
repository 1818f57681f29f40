import EmbedSyncCore

/// The exit statuses of `embedsync`, as documented in the README.
public enum ExitStatus: Int32, Sendable {
    /// Every selected row was embedded, or there was nothing to do.
    case success = 0
    /// The run finished but some rows failed (see `embedsync status --failures`).
    case rowsFailed = 1
    /// Usage or configuration error; nothing was written.
    case usage = 2
    /// Fatal provider or database error (authentication, no credits, unreachable, database failure).
    case fatal = 3
    /// Stopped by `--max-cost` or a signal; run again to resume.
    case stopped = 4

    static func forError(_ error: EmbedSyncError) -> ExitStatus {
        switch error.code {
        case .usage, .model: return .usage
        case .provider, .database: return .fatal
        case .stopped: return .stopped
        }
    }
}
