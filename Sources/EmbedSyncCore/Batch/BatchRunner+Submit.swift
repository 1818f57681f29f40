import Foundation

extension BatchRunner {
    /// Writes the selected rows that are not already pending into JSONL files within the Batch API's limits, and
    /// submits each: upload, record (with what every line stands for), create.
    func submit(_ job: inout BatchJob) async throws {
        let skippingFresh = try await FreshnessKey.forScan(of: store, classifier: job.classifier)
        let stream = RowStream(
            store: store, fields: job.fields, pageSize: configuration.pageSize, ids: configuration.selection.ids,
            skippingFresh: skippingFresh)
        // Changed in place throughout: a copy would copy its buffer and bookkeeping for every row.
        var file = try BatchFile()
        var reserved = 0.0
        defer { file.discard() }
        try await stream.forEachPage { page in
            var selected: [PlannedRow] = []
            for row in page {
                let planned = job.classifier.classify(row)
                if planned.selected {
                    selected.append(planned)
                } else if planned.skippedAsFailed {
                    job.summary.skippedFailed += 1
                } else if planned.state == .empty, configuration.selection.ids?.contains(row.id) ?? true {
                    job.summary.skippedEmpty += 1
                }
            }
            guard !selected.isEmpty else { return true }
            let pending = try await store.pendingRows(selected.map(\.id))
            let candidates = selected.filter { !pending.contains($0.id) && !job.failedRows.contains($0.id) }
            let claimed = try await store.claim(candidates.map(\.id), runID: job.record.id)
            for planned in candidates where claimed.contains(planned.id) {
                if stopSignal.isRaised {
                    job.summary.outcome = .stoppedBySignal
                    break
                }
                let (pieces, chunks, truncated) = configuration.workInputs(
                    for: planned.text, counter: service.tokenCounter, limits: service.limits)
                let tokens = pieces.reduce(0) { $0 + $1.tokens }
                let cost = batchCost(tokens: tokens)
                if let limit = configuration.maxCostUSD, job.summary.costUSD + reserved + cost > limit + 1e-12 {
                    job.summary.outcome = .stoppedByMaxCost
                    break
                }
                var line = service.requestLine(customID: file.nextCustomID, inputs: pieces.map(\.text))
                if !file.fits(bytes: line.count + 1, inputs: pieces.count, limits: limits) {
                    try await send(&file, &job)
                    file = try BatchFile()
                    line = service.requestLine(customID: file.nextCustomID, inputs: pieces.map(\.text))
                }
                try file.append(line, row: planned, inputs: pieces.count, tokens: tokens)
                reserved += cost
                job.summary.selected += 1
                if truncated { job.summary.truncated += 1 }
                if pieces.count > 1, chunks == nil { job.summary.chunked += 1 }
            }
            let unused = candidates.filter { claimed.contains($0.id) && !file.holds($0.id) }
            if !unused.isEmpty, job.summary.outcome != .completed {
                await store.releaseClaims(unused.map(\.id), runID: job.record.id)
            }
            return job.summary.outcome == .completed
        }
        if !file.requests.isEmpty { try await send(&file, &job) }
    }

    /// Uploads a file, records it with its requests, and creates its batch.
    private func send(_ file: inout BatchFile, _ job: inout BatchJob) async throws {
        try file.finish()
        defer { file.discard() }
        let number = job.report.submittedBatches + 1
        let fileID = try await service.upload(
            file: file.path, bytes: file.bytes, name: "embedsync-\(job.record.id.prefix(8))-\(number).jsonl")
        var batch = PendingBatch(
            fileID: fileID, model: model.storageKey, createdAt: unixTime(), requests: file.requests.count,
            tokens: file.tokens)
        try await store.recordBatch(batch, requests: file.requests)
        await store.releaseClaims(file.requests.map(\.rowID), runID: job.record.id)
        let remote = try await create(&batch)
        job.report.submittedBatches += 1
        job.report.submittedRows += file.requests.count
        job.report.submittedIDs.append(remote.id)
        observer.runNotice("Submitted batch \(remote.id): \(file.requests.count) rows, \(file.tokens) tokens")
    }
}

/// A batch input file being written: JSONL lines in a temporary file, and what each line stands for.
struct BatchFile {
    let path: String
    private var handle: FileHandle?
    private var buffer: [UInt8] = []
    private(set) var requests: [BatchRequestRecord] = []
    private var rowIDs: Set<RowID> = []
    private(set) var inputs = 0
    private(set) var bytes = 0
    private(set) var tokens = 0

    init() throws {
        let folder = ProcessInfo.processInfo.environment["TMPDIR"] ?? NSTemporaryDirectory()
        path = (folder as NSString).appendingPathComponent("embedsync-batch-\(UUID().uuidString.lowercased()).jsonl")
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw EmbedSyncError(
                .database, "Cannot write the batch input file '\(path)': set TMPDIR to a writable folder.")
        }
        self.handle = handle
    }

    func fits(bytes more: Int, inputs moreInputs: Int, limits: BatchLimits) -> Bool {
        requests.isEmpty
            || (requests.count < limits.maxRequests && inputs + moreInputs <= limits.maxInputs
                && bytes + more <= limits.maxFileBytes)
    }

    func holds(_ id: RowID) -> Bool { rowIDs.contains(id) }

    /// The `custom_id` of the next line: `r` and its line number.
    var nextCustomID: String { "r\(requests.count + 1)" }

    /// Adds `line`, which was made with ``nextCustomID``, for `row`.
    mutating func append(_ line: [UInt8], row: PlannedRow, inputs lineInputs: Int, tokens lineTokens: Int) throws {
        buffer += line
        buffer.append(0x0a)
        bytes += line.count + 1
        inputs += lineInputs
        tokens += lineTokens
        requests.append(
            BatchRequestRecord(
                customID: nextCustomID, line: requests.count + 1, rowID: row.id, contentHash: row.contentHash))
        rowIDs.insert(row.id)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private mutating func flush() throws {
        guard !buffer.isEmpty, let handle else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and closes the file, ready to upload.
    mutating func finish() throws {
        try flush()
        try handle?.close()
        handle = nil
    }

    /// Deletes the file.
    mutating func discard() {
        try? handle?.close()
        handle = nil
        try? FileManager.default.removeItem(atPath: path)
    }
}
