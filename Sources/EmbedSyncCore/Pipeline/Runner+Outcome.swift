import Foundation

extension Runner {
    /// What the summary says about how the run ended, when it did not simply complete.
    func outcomeMessage(_ summary: RunSummary) -> String? {
        switch summary.outcome {
        case .stoppedByMaxCost:
            return String(
                format: "Stopped before a batch would pass the cost limit of %.4f USD. Run again to continue.",
                configuration.maxCostUSD ?? 0)
        case .stoppedBySignal:
            return "Stopped by a signal after the batches in flight were committed. Run again to continue."
        case .heldByOthers:
            return """
                \(summary.heldByOthers) selected rows are still held by other workers after waiting \
                \(formatSeconds(configuration.lockWaitSeconds ?? 0)) for them: they are theirs to embed. Run again \
                once those workers finish (a dead worker's rows free up when its lease ends), or wait longer.
                """
        default: return nil
        }
    }
}
