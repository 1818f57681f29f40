/// The rule every store applies when a row fails: how many runs in a row it has failed for its current text.
///
/// A row that failed in ``Selection/maxFailedRuns`` runs is skipped until `--retry-failed` or until its text
/// changes. Every store counts with this function, or with ``sqliteUpsertRuns``, the same rule as one SQL expression
/// for a store that must decide inside its single write request (libSQL); the two are checked against each other on
/// every branch, and the conformance suite checks each store's result.
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

    /// ``runs(previous:contentHash:runID:)`` in SQLite's upsert: the value of `runs` in `INSERT INTO
    /// embedsync_failures (…, runs, …) VALUES (…, 1, …) ON CONFLICT(target, row_id) DO UPDATE SET runs = …`, where
    /// `embedsync_failures` is the stored failure and `excluded` the one being recorded (its `content_hash` and
    /// `last_run`). A first failure inserts 1; the same run keeps the count; another text starts again at 1;
    /// otherwise one more.
    package static let sqliteUpsertRuns = """
        CASE WHEN embedsync_failures.last_run = excluded.last_run THEN embedsync_failures.runs \
        WHEN embedsync_failures.content_hash IS excluded.content_hash THEN embedsync_failures.runs + 1 ELSE 1 END
        """
}
