import AsyncHTTPClient
import EmbedSyncCore
import Foundation
import NIOCore
import NIOHTTP1

/// OpenAI's Batch API for embeddings (`/v1/files` with `purpose=batch`, `/v1/batches` with
/// `endpoint=/v1/embeddings` and `completion_window=24h`), for `openai` and any `openai-compatible` base URL that
/// speaks it. It shares the synchronous client's configuration, key handling and error classification.
public struct OpenAIBatchService: BatchService {
    public let embedder: OpenAIEmbedder
    /// Tries per call for errors worth retrying (429, 5xx, dropped connections), with backoff.
    public var attempts = 4

    public init(embedder: OpenAIEmbedder) {
        self.embedder = embedder
    }

    public var identity: ModelIdentity { embedder.identity }
    public var limits: ProviderLimits { embedder.limits }
    public var tokenCounter: any TokenCounter { embedder.tokenCounter }

    var base: String {
        var base = embedder.configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    public func requestLine(customID: String, inputs: [String]) -> [UInt8] {
        let body = embedder.requestBody(inputs)
        // The body is already JSON; the line wraps it without parsing it again.
        var line = Array(#"{"custom_id":"#.utf8)
        line +=
            (try? JSONSerialization.data(withJSONObject: customID, options: .fragmentsAllowed)).map(Array.init) ?? []
        line += Array(#","method":"POST","url":"/v1/embeddings","body":"#.utf8)
        line += body
        line.append(UInt8(ascii: "}"))
        return line
    }

    public func upload(file path: String, bytes: Int, name: String) async throws -> String {
        let boundary = "embedsync-\(UUID().uuidString.lowercased())"
        let head = Array(
            """
            --\(boundary)\r
            Content-Disposition: form-data; name="purpose"\r
            \r
            batch\r
            --\(boundary)\r
            Content-Disposition: form-data; name="file"; filename="\(name)"\r
            Content-Type: application/jsonl\r
            \r

            """.utf8)
        let tail = Array("\r\n--\(boundary)--\r\n".utf8)
        let json = try await call(
            .POST, "/files", contentType: "multipart/form-data; boundary=\(boundary)",
            body: {
                .stream(
                    FileBody(path: path, head: head, tail: tail), length: .known(Int64(head.count + bytes + tail.count))
                )
            })
        guard let id = json["id"]?.string else { throw malformed("the file upload's answer has no 'id'") }
        return id
    }

    public func create(inputFileID: String, metadata: [String: String]) async throws -> RemoteBatch {
        let object: [String: Any] = [
            "input_file_id": inputFileID, "endpoint": "/v1/embeddings", "completion_window": "24h",
            "metadata": metadata,
        ]
        let bytes = Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        var once = self
        once.attempts = 1
        for attempt in 1...attempts {
            do {
                return try Self.batch(
                    from: try await once.call(.POST, "/batches", body: { .bytes(ByteBuffer(bytes: bytes)) }))
            } catch let error as ProviderError where error.isRetryable && attempt < attempts {
                // The batch may have been created although the answer was lost: never create it twice.
                if let created = try? await find(inputFileID: inputFileID) { return created }
                try await Task.sleep(
                    for: .milliseconds(Int64(min(error.retryAfter ?? Double(1 << attempt), 30) * 1000)))
            }
        }
        throw ProviderError(.transient, "creating the batch did not succeed")
    }

    public func retrieve(_ batchID: String) async throws -> RemoteBatch {
        try Self.batch(from: try await call(.GET, "/batches/\(escaped(batchID))"))
    }

    public func cancel(_ batchID: String) async throws -> RemoteBatch {
        try Self.batch(from: try await call(.POST, "/batches/\(escaped(batchID))/cancel"))
    }

    /// Pages through `GET /batches` (newest first) for the batch over `inputFileID`; looks at most 5,000 batches back.
    public func find(inputFileID: String) async throws -> RemoteBatch? {
        var after: String?
        for _ in 0..<50 {
            let query = "/batches?limit=100" + (after.map { "&after=\(escaped($0))" } ?? "")
            let json = try await call(.GET, query)
            let data = json["data"]?.array ?? []
            for item in data where item["input_file_id"]?.string == inputFileID {
                return try Self.batch(from: item)
            }
            guard json["has_more"] == .bool(true), let last = json["last_id"]?.string ?? data.last?["id"]?.string
            else { return nil }
            after = last
        }
        return nil
    }

    public func results(
        fileID: String, pageSize: Int, _ handle: ([BatchResultLine]) async throws -> Void
    ) async throws {
        let response = try await open(.GET, "/files/\(escaped(fileID))/content")
        var pending: [UInt8] = []
        var page: [BatchResultLine] = []
        func take(_ line: ArraySlice<UInt8>) throws {
            guard line.contains(where: { $0 > 0x20 }) else { return }
            page.append(try Self.resultLine(Array(line), embedder: embedder))
        }
        do {
            for try await buffer in response.body {
                pending += buffer.readableBytesView
                var start = pending.startIndex
                while let newline = pending[start...].firstIndex(of: 0x0a) {
                    try take(pending[start..<newline])
                    start = newline + 1
                }
                pending.removeSubrange(..<start)
                if page.count >= pageSize {
                    try await handle(page)
                    page.removeAll(keepingCapacity: true)
                }
            }
        } catch let error as ProviderError {
            throw error
        } catch let error as HTTPClientError {
            throw embedder.classifyTransport(error)
        }
        try take(pending[...])
        if !page.isEmpty { try await handle(page) }
    }

    private func escaped(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/", "?", "&", "="]))
            ?? component
    }

    private func malformed(_ what: String) -> ProviderError {
        ProviderError(.transient, "\(what) (from \(base))")
    }
}
