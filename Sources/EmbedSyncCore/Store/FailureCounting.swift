/// The rule every store applies when a row fails: how many runs in a row it has failed for its current text.
///
/// A row that failed in ``Selection/maxFailedRuns`` runs is skipped until `--retry-failed` or until its text
/// changes. Every store counts with this function (none restates it in SQL); the conformance suite checks the result.
package enum FailureCounting {
    /// The failed-runs count after the row fails again in `runID`.
    ///
    /// - Parameters:
    ///   - previous: the stored failure (its count, the content hash that failed, the run that recorded it), if any.
    ///   - contentHash: the hash of the text that failed now.
    ///   - runID: the run recording the failure.
    /// - Returns: 1 for a first failure or a changed text; the same count again within one run; otherwise one more.
    package static func runs(
        previous: (runs: Int, contentHash: String?, lastRun: String?)?, contentHash: String, runID: String
    ) -> Int {
        guard let previous else { return 1 }
        if previous.lastRun == runID { return previous.runs }
        if previous.contentHash != contentHash { return 1 }
        return previous.runs + 1
    }
}
