import EmbedSyncCore
import Foundation
import NIOHTTP1

/// The fake provider's Files and Batch routes (see ``FakeProviderServer/BatchPlan``).
struct FakeBatchAPI {
    let server: FakeProviderServer

    static func handles(_ uri: String) -> Bool {
        let path = uri.split(separator: "?").first.map(String.init) ?? uri
        return path.hasSuffix("/files") || path.contains("/files/") || path.hasSuffix("/batches")
            || path.contains("/batches/")
    }

    func respond(head: HTTPRequestHead, body: [UInt8]) -> FakeReply {
        let parts = head.uri.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? ""
        let query = parts.count > 1 ? String(parts[1]) : ""
        let segments = path.split(separator: "/").map(String.init).drop { $0 != "files" && $0 != "batches" }
        let route = Array(segments)
        switch (head.method, route.count, route.first) {
        case (.POST, 1, "files"): return upload(head: head, body: body)
        case (.GET, 3, "files") where route[2] == "content": return content(route[1])
        case (.POST, 1, "batches"): return create(body)
        case (.GET, 1, "batches"): return list(query)
        case (.GET, 2, "batches"): return retrieve(route[1])
        case (.POST, 3, "batches") where route[2] == "cancel": return cancel(route[1])
        default: return failure(404, "no route \(head.method) \(path)")
        }
    }

    private func upload(head: HTTPRequestHead, body: [UInt8]) -> FakeReply {
        guard let type = head.headers.first(name: "Content-Type"), let range = type.range(of: "boundary=") else {
            return failure(400, "expected multipart/form-data with a boundary")
        }
        let fields = Multipart.parse(body, boundary: String(type[range.upperBound...]))
        guard let purpose = fields["purpose"].map({ String(decoding: $0.bytes, as: UTF8.self) }), purpose == "batch",
            let file = fields["file"]
        else {
            return failure(400, "missing 'file' or purpose is not 'batch'")
        }
        let now = Int(Date().timeIntervalSince1970)
        let id: String = server.state.withLock { state in
            state.batches.stats.uploads += 1
            let id = state.batches.newID("file")
            state.batches.files[id] = FakeFile(
                id: id, purpose: purpose, name: file.filename ?? "upload.jsonl", bytes: file.bytes, createdAt: now)
            return id
        }
        return reply([
            "id": id, "object": "file", "bytes": file.bytes.count, "created_at": now,
            "filename": file.filename ?? "upload.jsonl", "purpose": purpose, "status": "processed",
        ])
    }

    private func content(_ id: String) -> FakeReply {
        guard let file = server.state.withLock({ $0.batches.files[id] }) else {
            return failure(404, "No such File object: \(id)")
        }
        var answer = FakeReply()
        answer.body = file.bytes
        return answer
    }

    private func create(_ body: [UInt8]) -> FakeReply {
        guard let json = try? LenientJSON.parse(body), let fileID = json["input_file_id"]?.string else {
            return failure(400, "missing input_file_id")
        }
        guard json["endpoint"]?.string == "/v1/embeddings", json["completion_window"]?.string == "24h" else {
            return failure(400, "endpoint must be /v1/embeddings and completion_window 24h")
        }
        let made: (batch: FakeBatch, lost: Bool)? = server.state.withLock { state in
            guard let file = state.batches.files[fileID], file.purpose == "batch" else { return nil }
            let id = state.batches.newID("batch")
            var batch = FakeBatch(
                id: id, inputFileID: fileID, status: "validating",
                plan: state.batches.plans.isEmpty ? .complete : state.batches.plans.removeFirst(),
                createdAt: Int(Date().timeIntervalSince1970), lines: [])
            (batch.lines, batch.errors) = FakeBatchValidator.validate(file.bytes)
            if case .fail(let line, let code, let message) = batch.plan { batch.errors = [(line, code, message)] }
            for line in batch.lines {
                for input in line.inputs { state.batches.stats.submittedInputs[input, default: 0] += 1 }
            }
            state.batches.stats.submittedLines += batch.lines.count
            state.batches.stats.created.append(id)
            state.batches.batches[id] = batch
            state.batches.order.append(id)
            let lost = state.batches.lostAnswers > 0
            if lost { state.batches.lostAnswers -= 1 }
            return (batch, lost)
        }
        guard let made else { return failure(400, "Invalid 'input_file_id': \(fileID)") }
        if made.lost { return failure(500, "The server had an error while processing your request.") }
        return reply(object(made.batch))
    }

    private func list(_ query: String) -> FakeReply {
        var limit = 20
        var after: String?
        for pair in query.split(separator: "&") {
            let item = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard item.count == 2 else { continue }
            if item[0] == "limit" { limit = max(1, min(100, Int(item[1]) ?? 20)) }
            if item[0] == "after" { after = item[1].removingPercentEncoding }
        }
        let (page, more): ([FakeBatch], Bool) = server.state.withLock { state in
            state.batches.stats.listings += 1
            var ids = Array(state.batches.order.reversed())
            if let after, let index = ids.firstIndex(of: after) { ids = Array(ids[(index + 1)...]) }
            let page = Array(ids.prefix(limit))
            return (page.compactMap { state.batches.batches[$0] }, ids.count > page.count)
        }
        let object: [String: Any] = [
            "object": "list", "data": page.map(object), "first_id": page.first?.id ?? NSNull(),
            "last_id": page.last?.id ?? NSNull(), "has_more": more,
        ]
        return reply(object)
    }

    private func retrieve(_ id: String) -> FakeReply {
        let found: FakeBatch? = server.state.withLock { state in
            state.batches.stats.retrievals += 1
            guard var batch = state.batches.batches[id] else { return nil }
            FakeBatchProgress.advance(&batch, book: &state.batches, server: server)
            state.batches.batches[id] = batch
            return batch
        }
        guard let found else { return failure(404, "No batch found with id '\(id)'.") }
        return reply(object(found))
    }

    private func cancel(_ id: String) -> FakeReply {
        let found: FakeBatch? = server.state.withLock { state in
            state.batches.stats.cancels += 1
            guard var batch = state.batches.batches[id] else { return nil }
            if !["completed", "failed", "expired", "cancelled"].contains(batch.status) {
                batch.status = "cancelling"
                batch.cancelRequested = true
            }
            state.batches.batches[id] = batch
            return batch
        }
        guard let found else { return failure(404, "No batch found with id '\(id)'.") }
        return reply(object(found))
    }

    private func object(_ batch: FakeBatch) -> [String: Any] {
        let errors: Any =
            batch.errors.isEmpty || batch.status != "failed"
            ? NSNull()
            : [
                "object": "list",
                "data": batch.errors.map { error -> [String: Any] in
                    ["code": error.code, "message": error.message, "param": NSNull(), "line": error.line ?? NSNull()]
                },
            ] as [String: Any]
        return [
            "id": batch.id, "object": "batch", "endpoint": "/v1/embeddings", "input_file_id": batch.inputFileID,
            "completion_window": "24h", "status": batch.status, "created_at": batch.createdAt,
            "expires_at": batch.createdAt + 86_400, "output_file_id": batch.outputFileID ?? NSNull(),
            "error_file_id": batch.errorFileID ?? NSNull(), "errors": errors,
            "request_counts": [
                "total": batch.lines.count, "completed": batch.completed, "failed": batch.failed,
            ],
            "metadata": NSNull(),
        ]
    }

    private func reply(_ object: [String: Any]) -> FakeReply {
        var answer = FakeReply()
        answer.body = (try? Array(JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))) ?? []
        return answer
    }

    private func failure(_ status: Int, _ message: String) -> FakeReply {
        FakeProviderLogic(server: server).error(status, message, delay: 0)
    }
}
