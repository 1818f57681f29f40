extension BatchRunner {
    /// Looks at every pending batch and applies those that finished; the others keep their place.
    func collect(_ job: inout BatchJob) async throws {
        for var batch in try await store.pendingBatches() {
            if stopSignal.isRaised { return }
            let remote = try await lookUp(batch)
            batch.batchID = remote.id
            batch.status = remote.status
            batch.completed = remote.counts.completed
            batch.failed = remote.counts.failed
            guard batch.model == model.storageKey else {
                // Sent for another model (the configuration changed since): its vectors cannot be stored here.
                if !remote.status.isTerminal { _ = try await service.cancel(remote.id) }
                try await store.removeBatch(fileID: batch.fileID)
                observer.runNotice("Dropped batch \(remote.id): it was sent for another model (\(batch.model)).")
                continue
            }
            guard remote.status.isTerminal else {
                try await store.updateBatch(batch)
                continue
            }
            try await apply(batch, remote, &job)
            try await store.removeBatch(fileID: batch.fileID)
            job.report.collectedBatches += 1
        }
    }

    /// The batch as the provider reports it. A batch recorded without an id was submitted by a process that stopped
    /// before it heard back: found by its input file, or created now if it never was.
    private func lookUp(_ batch: PendingBatch) async throws -> RemoteBatch {
        if let id = batch.batchID { return try await service.retrieve(id) }
        if let found = try await service.find(inputFileID: batch.fileID) { return found }
        var created = batch
        let remote = try await create(&created)
        return remote
    }

    /// Creates the batch over its uploaded file and records its id. A refusal that sending again would repeat
    /// forgets the batch, so its rows are free for the next run, and is thrown.
    func create(_ batch: inout PendingBatch) async throws -> RemoteBatch {
        let remote: RemoteBatch
        do {
            remote = try await service.create(
                inputFileID: batch.fileID, metadata: ["embedsync_model": model.storageKey])
        } catch let error as ProviderError where !error.isRetryable {
            try await store.removeBatch(fileID: batch.fileID)
            throw error
        }
        batch.batchID = remote.id
        batch.status = remote.status
        try await store.updateBatch(batch)
        return remote
    }

    /// Applies a finished batch: vectors of unchanged rows, failures of refused lines; everything else is sent again.
    private func apply(_ batch: PendingBatch, _ remote: RemoteBatch, _ job: inout BatchJob) async throws {
        let requests = try await store.batchRequests(fileID: batch.fileID)
        if remote.status == .failed {
            try await applyValidationFailure(remote, requests: requests, &job)
            return
        }
        var byID: [String: BatchRequestRecord] = [:]
        for request in requests { byID[request.customID] = request }
        var done: Set<String> = []
        for fileID in [remote.outputFileID, remote.errorFileID].compactMap({ $0 }) {
            try await service.results(fileID: fileID, pageSize: 500) { lines in
                var page: [(BatchRequestRecord, BatchResultLine.Outcome)] = []
                for line in lines {
                    guard let request = byID[line.customID], done.insert(line.customID).inserted else { continue }
                    page.append((request, line.outcome))
                }
                try await applyPage(page, &job)
            }
        }
        job.report.resent += requests.count - done.count
    }

    /// A batch the provider refused as a whole: the lines its errors name fail with their reason, the others are sent
    /// again. When no error names a line (a token limit, say), sending again would fail again: this run stops
    /// submitting and says why.
    private func applyValidationFailure(
        _ remote: RemoteBatch, requests: [BatchRequestRecord], _ job: inout BatchJob
    ) async throws {
        var byLine: [Int: BatchRequestRecord] = [:]
        for request in requests { byLine[request.line] = request }
        var failed: [FailedRow] = []
        var seen: Set<Int> = []
        for error in remote.errors {
            guard let line = error.line, let request = byLine[line], seen.insert(line).inserted else { continue }
            failed.append(
                FailedRow(
                    id: request.rowID, contentHash: request.contentHash, errorClass: "batch_invalid",
                    message: "\(error.code): \(error.message)", attempts: 1))
        }
        job.report.resent += requests.count - failed.count
        if failed.isEmpty {
            let reasons = remote.errors.map { "\($0.code): \($0.message)" }.joined(separator: "; ")
            job.submitting = false
            job.notice = """
                Batch \(remote.id) failed as a whole (\(reasons.isEmpty ? "no reason given" : reasons)); its rows \
                are sent again by the next run.
                """
            return
        }
        try await commit(embedded: [], failed: failed, tokens: 0, &job)
    }

    /// Stores one page of results: a vector only while its row still renders to the text that was sent.
    private func applyPage(_ page: [(BatchRequestRecord, BatchResultLine.Outcome)], _ job: inout BatchJob) async throws
    {
        var answered: [(BatchRequestRecord, [[Float]])] = []
        var failed: [FailedRow] = []
        var tokens = 0
        for (request, outcome) in page {
            switch outcome {
            case .vectors(let vectors, let billed):
                tokens += billed ?? 0
                answered.append((request, vectors))
            case .rejected(let status, let message):
                failed.append(
                    FailedRow(
                        id: request.rowID, contentHash: request.contentHash, errorClass: "rejected",
                        message: "HTTP \(status): \(message)", attempts: 1))
            case .notDone:
                job.report.resent += 1
            }
        }
        var current: [RowID: ScannedRow] = [:]
        if !answered.isEmpty {
            for row in try await store.rows(ids: answered.map(\.0.rowID), fields: job.fields) { current[row.id] = row }
        }
        var embedded: [EmbeddedRow] = []
        for (request, vectors) in answered {
            guard let row = current[request.rowID] else {
                job.report.staleOnArrival += 1
                continue
            }
            let planned = job.classifier.classify(row)
            guard planned.contentHash == request.contentHash else {
                job.report.staleOnArrival += 1
                continue
            }
            switch embeddedRow(row, planned: planned, vectors: vectors) {
            case .success(let stored):
                embedded.append(stored)
            case .failure(let problem):
                failed.append(
                    FailedRow(
                        id: row.id, contentHash: planned.contentHash, errorClass: "invalid_vector",
                        message: problem.reason, attempts: 1))
            }
        }
        guard !embedded.isEmpty || !failed.isEmpty || tokens > 0 else { return }
        try await commit(embedded: embedded, failed: failed, tokens: tokens, &job)
    }

    /// The row to store: its vector is the one returned, or the token-weighted mean of its pieces (`--long-inputs
    /// chunk`) or of its chunks (`--chunk-tokens`, which ride along). The pieces are cut again from the row's text,
    /// which is the text that was sent (its content hash matched).
    private func embeddedRow(
        _ row: ScannedRow, planned: PlannedRow, vectors: [[Float]]
    ) -> Result<EmbeddedRow, VectorProblem> {
        let (pieces, chunks, _) = configuration.workInputs(
            for: planned.text, counter: service.tokenCounter, limits: service.limits)
        guard vectors.count == pieces.count || (vectors.count == 1 && chunks == nil) else {
            return .failure(VectorProblem(reason: "\(vectors.count) vectors came back for \(pieces.count) inputs"))
        }
        for piece in vectors {
            if let problem = VectorValidator.problem(with: piece, expectedDimensions: model.dimensions) {
                return .failure(VectorProblem(reason: problem))
            }
        }
        let vector =
            vectors.count == 1 ? vectors[0] : TextChunker.combine(vectors, weights: pieces.map(\.tokens))
        if let problem = VectorValidator.problem(with: vector, expectedDimensions: model.dimensions) {
            return .failure(VectorProblem(reason: problem))
        }
        let stored = chunks.map { chunks in
            zip(chunks, vectors).map { chunk, vector in
                EmbeddedChunk(
                    number: chunk.number, start: chunk.start, end: chunk.end, text: chunk.text, vector: vector)
            }
        }
        return .success(
            EmbeddedRow(
                id: row.id, vector: vector, contentHash: planned.contentHash, text: planned.text,
                sourceValues: row.values, chunks: stored))
    }

    private func commit(embedded: [EmbeddedRow], failed: [FailedRow], tokens: Int, _ job: inout BatchJob) async throws {
        let cost = batchCost(tokens: tokens)
        var commit = BatchCommit(
            run: job.record, model: model, embedded: embedded, failed: failed, tokens: tokens, costUSD: cost,
            requests: 0)
        commit.classifier = job.classifier
        try await store.commit(commit)
        job.committed = true
        job.summary.embedded += embedded.count
        job.summary.chunksEmbedded += embedded.reduce(0) { $0 + ($1.chunks?.count ?? 0) }
        job.summary.failed += failed.count
        job.summary.failedIDs += failed.prefix(max(0, 10_000 - job.summary.failedIDs.count)).map(\.id)
        job.failedRows.formUnion(failed.map(\.id))
        job.summary.tokens += tokens
        job.summary.costUSD += cost
    }
}

/// Why a returned vector cannot be stored.
struct VectorProblem: Error {
    var reason: String
}
