extension EmbeddingStore {
    /// Runs `body` holding the table's run guard (taken after the configured wait, or given up at once with
    /// `--exclusive`), and prepares the store's reads first; the guard is released however `body` ends.
    /// - Returns: `body`'s summary, or a ``RunOutcome/busy`` one when an exclusive run found the table held.
    /// - Throws: ``EmbedSyncError`` (`.stopped`) when another run still holds the table after the wait.
    func withRunGuard(
        configuration: RunConfiguration, model: ModelIdentity, _ body: () async throws -> RunSummary
    ) async throws -> RunSummary {
        let wait = configuration.exclusive ? nil : configuration.lockWaitSeconds
        guard try await acquireRunGuard(wait: !configuration.exclusive, timeout: wait) else {
            if let wait {
                throw EmbedSyncError(
                    .stopped,
                    """
                    Another embedsync run still holds this table after \(formatSeconds(wait)) of waiting \
                    (\(.lockWait)); nothing was done. Run again once it finishes, or wait longer with \(.lockWait).
                    """)
            }
            var summary = RunSummary(outcome: .busy, model: model)
            summary.message = "Another embedsync run holds this table; nothing was done (exclusive mode)."
            return summary
        }
        do {
            try await prepareRun()
            let summary = try await body()
            await releaseRunGuard()
            return summary
        } catch {
            await releaseRunGuard()
            throw error
        }
    }
}
