extension RunConfiguration {
    /// The texts a row sends, with their token counts: with ``chunking``, its chunks (as many as one request
    /// carries: `truncated` when some are left out); without, ``inputs(for:counter:limits:)``.
    func workInputs(
        for text: String, counter: any TokenCounter, limits: ProviderLimits
    ) -> (pieces: [(text: String, tokens: Int)], chunks: [TextChunk]?, truncated: Bool) {
        guard let chunking else {
            let (pieces, truncated) = inputs(for: text, counter: counter, limits: limits)
            return (pieces, nil, truncated)
        }
        var chunks = ChunkSplitter(settings: chunking, counter: counter).split(text)
        // Every chunk of a row goes in one request, so the row's chunks commit together.
        let maxTokens = maxTokensPerRequest(for: limits)
        var tokens = 0
        var kept = 0
        for chunk in chunks {
            guard kept < limits.maxInputs, kept == 0 || tokens + chunk.tokens <= maxTokens else { break }
            tokens += chunk.tokens
            kept += 1
        }
        let truncated = kept < chunks.count
        chunks.removeLast(chunks.count - kept)
        return (chunks.map { ($0.text, $0.tokens) }, chunks, truncated)
    }
}

extension Runner {
    /// With chunking: the chunk settings fit the model and the store can hold chunks (table mode).
    /// - Throws: ``EmbedSyncError`` (`.usage`) before anything is written.
    func validateChunking() async throws {
        try await configuration.validateChunking(
            store: store, limits: embedder.limits, counter: embedder.tokenCounter, model: model)
    }
}

extension RunConfiguration {
    /// With ``chunking``: the chunk settings fit the model (its limits and tokenizer) and `store` can hold chunks.
    /// - Throws: ``EmbedSyncError`` (`.usage`) before anything is written.
    func validateChunking(
        store: any EmbeddingStore, limits: ProviderLimits, counter: any TokenCounter, model: ModelIdentity
    ) async throws {
        guard let chunking else { return }
        try chunking.check(limits: limits, counter: counter, model: model)
        guard let chunkStore = store as? any ChunkStore else {
            throw EmbedSyncError(
                .usage,
                """
                This target cannot store chunks (\(.chunkTokens)): chunks are stored in table mode on SQLite, \
                PostgreSQL and libSQL, with the vectors in the source's database.
                """)
        }
        try await chunkStore.validateChunkTarget()
    }
}

extension BatchOutcome {
    /// Folds the chunks of each row back into the row: a row embeds when all its chunks did (its vector in the
    /// target is their token-weighted mean, re-normalised; its chunks ride along in ``EmbeddedRow/chunks``), and
    /// fails once, with its first chunk's error, when any chunk failed. Items without a chunk pass through.
    func collectingChunks(of items: [WorkItem]) -> BatchOutcome {
        var pieces: [RowID: [WorkItem]] = [:]
        for item in items where item.chunk != nil { pieces[item.id, default: []].append(item) }
        guard !pieces.isEmpty else { return self }
        var collected = self
        collected.embedded = []
        collected.failed = []
        var failedIDs: Set<RowID> = []
        for failure in failed where pieces[failure.id] == nil || failedIDs.insert(failure.id).inserted {
            collected.failed.append(failure)
        }
        var vectors: [RowID: [(text: String, vector: [Float])]] = [:]
        for row in embedded {
            if pieces[row.id] == nil {
                collected.embedded.append(row)
            } else if !failedIDs.contains(row.id) {
                vectors[row.id, default: []].append((row.text, row.vector))
            }
        }
        for (id, rowItems) in pieces.sorted(by: { $0.key < $1.key }) where !failedIDs.contains(id) {
            guard let first = rowItems.first?.chunk, let rowVectors = vectors[id], rowVectors.count == rowItems.count
            else {
                collected.failed.append(
                    FailedRow(
                        id: id, contentHash: rowItems.first?.contentHash ?? "", errorClass: "incomplete_chunks",
                        message: "not every chunk of the row was embedded", attempts: 1))
                continue
            }
            // Vectors come back in the order the items were sent, and a row's items were sent in chunk order.
            let chunks = zip(rowItems, rowVectors).compactMap { item, embedded in
                item.chunk.map {
                    EmbeddedChunk(
                        number: $0.chunk.number, start: $0.chunk.start, end: $0.chunk.end, text: embedded.text,
                        vector: embedded.vector)
                }
            }
            collected.embedded.append(
                EmbeddedRow(
                    id: id, vector: TextChunker.combine(rowVectors.map(\.vector), weights: rowItems.map(\.tokens)),
                    contentHash: rowItems[0].contentHash, text: first.rowText, sourceValues: rowItems[0].sourceValues,
                    chunks: chunks))
        }
        return collected
    }
}
