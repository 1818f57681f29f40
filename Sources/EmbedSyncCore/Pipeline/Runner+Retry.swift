import Foundation

extension Runner {
    /// Embeds one batch: retries transient failures with backoff, splits a batch the provider rejects to
    /// isolate the bad input, and validates every vector. Throws only for fatal errors.
    func embedWithRetries(_ batch: [WorkItem], pacer: Pacer, pricing: Pricing) async throws -> BatchOutcome {
        var items = batch
        var outcome = BatchOutcome()
        var retries = 0
        var shortenings = 0
        while true {
            try Task.checkCancellation()
            let requestTokens = items.reduce(0) { $0 + $1.tokens }
            try await pacer.acquire(tokens: requestTokens)
            outcome.requests += 1
            do {
                let sent = clock.now()
                let response: EmbeddingResponse
                do {
                    response = try await embedder.embed(items.map(\.text))
                } catch let error as ProviderError {
                    await pacer.heed(error, counted: requestTokens, latency: clock.now() - sent)
                    throw error
                }
                await pacer.heed(response, counted: requestTokens, latency: clock.now() - sent)
                guard response.vectors.count == items.count else {
                    throw ProviderError(
                        .transient, "the provider returned \(response.vectors.count) vectors for \(items.count) inputs")
                }
                let billed = response.billedTokens ?? requestTokens
                outcome.tokens += billed
                outcome.costUSD += pricing.cost(tokens: billed)
                for (item, vector) in zip(items, response.vectors) {
                    if let problem = VectorValidator.problem(with: vector, expectedDimensions: model.dimensions) {
                        outcome.failed.append(
                            FailedRow(
                                id: item.id, contentHash: item.contentHash, errorClass: "invalid_vector",
                                message: problem, attempts: retries + 1))
                    } else {
                        outcome.embedded.append(
                            EmbeddedRow(
                                id: item.id, vector: vector, contentHash: item.contentHash, text: item.text,
                                sourceValues: item.sourceValues))
                    }
                }
                return outcome
            } catch let error as ProviderError {
                if error.isFatal {
                    throw EmbedSyncError(.provider, error.detail, underlying: error)
                }
                if error.kind == .rejected {
                    if items.count > 1 {
                        logger.info("splitting a rejected batch", metadata: ["embedsync.batch.size": "\(items.count)"])
                        let middle = items.count / 2
                        outcome.merge(
                            try await embedWithRetries(Array(items[..<middle]), pacer: pacer, pricing: pricing))
                        outcome.merge(
                            try await embedWithRetries(Array(items[middle...]), pacer: pacer, pricing: pricing))
                        return outcome
                    }
                    if let overflow = error.overflow, shortenings < Self.maxShortenings,
                        let shorter = shortened(items[0], overflow: overflow)
                    {
                        shortenings += 1
                        logger.info(
                            "shortening an input the provider found too long",
                            metadata: [
                                "embedsync.tokens": "\(items[0].tokens)", "embedsync.shorter": "\(shorter.tokens)",
                            ])
                        if !items[0].truncated { outcome.shortened.insert(shorter.id) }
                        items[0] = shorter
                        continue
                    }
                    outcome.failed.append(
                        FailedRow(
                            id: items[0].id, contentHash: items[0].contentHash, errorClass: "rejected",
                            message: error.description, attempts: retries + 1))
                    return outcome
                }
                if retries < configuration.retry.maxRetries {
                    retries += 1
                    let delay = configuration.retry.delay(
                        beforeRetry: retries, retryAfter: error.retryAfter, jitter: jitter())
                    // The provider's Retry-After wins over any pace: no request of this run starts before it.
                    if error.retryAfter != nil { await pacer.pause(seconds: delay) }
                    logger.info(
                        "retrying after a transient error",
                        metadata: [
                            "embedsync.retry": "\(retries)", "embedsync.delay_s": "\(delay)",
                            "embedsync.error": "\(error.description)",
                        ])
                    observer.runNotice(
                        """
                        \(error.description); retry \(retries)/\(configuration.retry.maxRetries) in \
                        \(formatSeconds(delay))
                        """
                    )
                    try await clock.sleep(seconds: delay)
                    continue
                }
                if error.kind == .unreachable {
                    throw EmbedSyncError(.provider, "\(error.detail) (after \(retries) retries)", underlying: error)
                }
                for item in items {
                    outcome.failed.append(
                        FailedRow(
                            id: item.id, contentHash: item.contentHash, errorClass: error.kind.rawValue,
                            message: error.description, attempts: retries + 1))
                }
                return outcome
            }
        }
    }
}

extension Runner {
    /// How many times one input is shortened after "longer than the model's context" before the row fails.
    static let maxShortenings = 3

    /// `item` cut so it should fit the context the provider stated, or `nil` when it cannot get shorter.
    func shortened(_ item: WorkItem, overflow: InputOverflow) -> WorkItem? {
        let text = overflow.shortened(item.text, fallbackTokens: embedder.limits.maxTokensPerInput)
        guard text.unicodeScalars.count < item.text.unicodeScalars.count else { return nil }
        var shorter = item
        shorter.text = text
        shorter.tokens = min(item.tokens, embedder.tokenCounter.count(text))
        shorter.truncated = true
        return shorter
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds < 10 ? String(format: "%.1fs", seconds) : String(format: "%.0fs", seconds)
}
