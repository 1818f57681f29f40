import AsyncHTTPClient
import EmbedSyncCore
import Foundation
import NIOCore
import NIOHTTP1

extension OpenAIBatchService {
    /// Makes a call and returns its JSON answer, retrying what is worth retrying.
    func call(
        _ method: HTTPMethod, _ path: String, contentType: String = "application/json",
        body: (() -> HTTPClientRequest.Body)? = nil
    ) async throws -> LenientJSON {
        let response = try await open(method, path, contentType: contentType, body: body)
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        } catch {
            throw embedder.classifyTransport(error)
        }
        do {
            return try LenientJSON.parse(Array(bytes.readableBytesView))
        } catch {
            throw ProviderError(.transient, "the answer of \(method) \(base)\(path) is not JSON (\(error))")
        }
    }

    /// Sends a request and returns the response once its status is 2xx (the body not read yet). Errors are classified
    /// as for `/embeddings`; 429, 5xx and dropped connections are tried again, up to ``attempts`` times.
    func open(
        _ method: HTTPMethod, _ path: String, contentType: String = "application/json",
        body: (() -> HTTPClientRequest.Body)? = nil
    ) async throws -> HTTPClientResponse {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await openOnce(method, path, contentType: contentType, body: body)
            } catch let error as ProviderError where error.isRetryable && attempt < attempts {
                let wait = min(error.retryAfter ?? Double(1 << (attempt - 1)), 30)
                try await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
            }
        }
    }

    private func openOnce(
        _ method: HTTPMethod, _ path: String, contentType: String, body: (() -> HTTPClientRequest.Body)?
    ) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "embedsync/0.1")
        if let key = embedder.configuration.apiKey, !key.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(key)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = body()
        }
        let response: HTTPClientResponse
        do {
            response = try await embedder.client.execute(
                request, timeout: .milliseconds(Int64(max(embedder.configuration.timeout, 300) * 1000)))
        } catch {
            throw embedder.classifyTransport(error)
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let bytes = (try? await response.body.collect(upTo: 1 << 20)).map { Array($0.readableBytesView) } ?? []
            let error = embedder.classify(status: status, headers: response.headers, body: bytes)
            guard error.kind == .rejected || error.kind == .fatal else { throw error }
            let json = try? LenientJSON.parse(bytes)
            let message = embedder.redactor.redact(
                json?["error"]?["message"]?.string ?? String(decoding: bytes.prefix(300), as: UTF8.self))
            let hint: ErrorMessage =
                status == 404
                ? " The provider must speak OpenAI's Files and Batch API at \(.baseURL) for --batch-api." : ""
            throw ProviderError(
                .fatal, "\(method) \(base)\(path) answered HTTP \(status): \(message).\(hint)", statusCode: status)
        }
        return response
    }

    /// A batch object.
    static func batch(from json: LenientJSON) throws -> RemoteBatch {
        guard let id = json["id"]?.string, let status = json["status"]?.string else {
            throw ProviderError(.transient, "the answer is not a batch object (no 'id' or 'status')")
        }
        let errors = (json["errors"]?["data"]?.array ?? []).map { item in
            BatchValidationError(
                line: item["line"]?.int, code: item["code"]?.string ?? "invalid",
                message: item["message"]?.string ?? "no message")
        }
        let counts = json["request_counts"]
        return RemoteBatch(
            id: id, status: BatchStatus(rawValue: status) ?? .inProgress, inputFileID: json["input_file_id"]?.string,
            outputFileID: json["output_file_id"]?.string, errorFileID: json["error_file_id"]?.string, errors: errors,
            counts: (counts?["total"]?.int ?? 0, counts?["completed"]?.int ?? 0, counts?["failed"]?.int ?? 0))
    }

    /// One line of an output or error file.
    static func resultLine(_ bytes: [UInt8], embedder: OpenAIEmbedder) throws -> BatchResultLine {
        let json: LenientJSON
        do {
            json = try LenientJSON.parse(bytes)
        } catch {
            throw ProviderError(.transient, "a line of a batch result file is not JSON (\(error))")
        }
        guard let customID = json["custom_id"]?.string else {
            throw ProviderError(.transient, "a line of a batch result file has no 'custom_id'")
        }
        if let response = json["response"], response != .null {
            let status = response["status_code"]?.int ?? 0
            let body = response["body"] ?? .null
            switch status {
            case 200:
                do {
                    let answer = try embedder.response(from: body)
                    return BatchResultLine(
                        customID: customID, outcome: .vectors(answer.vectors, tokens: answer.billedTokens))
                } catch let error as ProviderError {
                    return BatchResultLine(customID: customID, outcome: .notDone(reason: error.message))
                }
            case 429, 500...599, 408, 409:
                return BatchResultLine(customID: customID, outcome: .notDone(reason: "HTTP \(status)"))
            default:
                let message = embedder.redactor.redact(
                    body["error"]?["message"]?.string ?? body["error"]?.string ?? "no message")
                return BatchResultLine(customID: customID, outcome: .rejected(status: status, message: message))
            }
        }
        let code = json["error"]?["code"]?.string ?? "not_done"
        return BatchResultLine(customID: customID, outcome: .notDone(reason: code))
    }
}

/// A multipart body: `head`, the file's bytes read 1 MB at a time, then `tail`.
struct FileBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let head: [UInt8]
    let tail: [UInt8]

    struct AsyncIterator: AsyncIteratorProtocol {
        let body: FileBody
        var handle: FileHandle?
        var stage = 0

        mutating func next() async throws -> ByteBuffer? {
            switch stage {
            case 0:
                stage = 1
                handle = FileHandle(forReadingAtPath: body.path)
                guard handle != nil else {
                    throw EmbedSyncError(.database, "Cannot read the batch input file '\(body.path)'.")
                }
                return ByteBuffer(bytes: body.head)
            case 1:
                if let data = try handle?.read(upToCount: 1 << 20), !data.isEmpty { return ByteBuffer(bytes: data) }
                try handle?.close()
                handle = nil
                stage = 2
                return ByteBuffer(bytes: body.tail)
            default:
                return nil
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}
