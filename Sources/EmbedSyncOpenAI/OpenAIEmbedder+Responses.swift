import AsyncHTTPClient
import EmbedSyncCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

extension OpenAIEmbedder {
    /// Reads `data[].embedding` (ordered by `index`) and `usage`; an `error` object inside a 200 is classified like a
    /// status.
    func parse(_ bytes: [UInt8], expected: Int) throws -> EmbeddingResponse {
        let json: LenientJSON
        do {
            json = try LenientJSON.parse(bytes)
        } catch {
            throw ProviderError(
                .transient, "the response body is not complete JSON (\(error)); the connection may have been cut")
        }
        return try response(from: json)
    }

    /// The vectors and usage of a parsed `/embeddings` response body (a Batch API output line's `response.body`).
    func response(from json: LenientJSON) throws -> EmbeddingResponse {
        if let errorObject = json["error"], errorObject != .null {
            let code = errorObject["code"]?.int ?? errorObject["status"]?.int
            let message = redactor.redact(errorObject["message"]?.string ?? "an error inside a 200 response")
            if let code, code >= 400 {
                throw classify(status: code, headers: HTTPHeaders(), message: "error in a 200 body: \(message)")
            }
            throw ProviderError(.transient, "error in a 200 body: \(message)", statusCode: 200)
        }
        guard let data = json["data"]?.array else {
            throw ProviderError(.transient, "the response has no 'data' array")
        }
        var vectors = [[Float]](repeating: [], count: data.count)
        for (position, item) in data.enumerated() {
            let index = item["index"]?.int ?? position
            guard index >= 0, index < data.count, let values = item["embedding"]?.array else {
                throw ProviderError(.transient, "the response's data[\(position)] has no usable 'embedding'")
            }
            vectors[index] = values.map { Float($0.number ?? .nan) }
        }
        let usage = json["usage"]
        let billed = usage?["prompt_tokens"]?.int ?? usage?["total_tokens"]?.int
        return EmbeddingResponse(vectors: vectors, billedTokens: billed)
    }

    func classify(status: Int, headers: HTTPHeaders, body: [UInt8]) -> ProviderError {
        var message = ""
        if let json = try? LenientJSON.parse(body),
            let text = json["error"]?["message"]?.string ?? json["error"]?.string ?? json["message"]?.string
        {
            message = text
            // OpenAI's `code` names the overflow even where the message is reworded.
            if json["error"]?["code"]?.string == "context_length_exceeded", !message.contains("context length") {
                message += " (context_length_exceeded)"
            }
        } else {
            message = String(decoding: body.prefix(300), as: UTF8.self)
        }
        return classify(
            status: status, headers: headers,
            message: redactor.redact(message.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    func classify(status: Int, headers: HTTPHeaders, message: String) -> ProviderError {
        let excerpt = message.isEmpty ? "" : ": \(message.prefix(300))"
        switch status {
        case 401, 403:
            let variable: ErrorMessage =
                configuration.apiKeyVariable.map { "Check \($0)" }
                ?? "Pass \(.apiKeyVariable) NAME naming the variable that holds the key"
            let state = configuration.apiKey == nil ? "No API key was sent" : "The API key was refused"
            return ProviderError(
                .authentication,
                "\(state) by \(configuration.provider.rawValue) (HTTP \(status))\(excerpt). \(variable).",
                statusCode: status)
        case 402:
            return ProviderError(
                .noCredits,
                """
                \(configuration.provider.rawValue) says the account has no credits (HTTP 402)\(excerpt). Add credits, \
                then run again.
                """,
                statusCode: status)
        case 429:
            return ProviderError(
                .rateLimited, "rate limited (HTTP 429)\(excerpt)", statusCode: status, retryAfter: retryAfter(headers))
        case 408, 409, 425, 500...599:
            return ProviderError(
                .transient, "HTTP \(status)\(excerpt)", statusCode: status, retryAfter: retryAfter(headers))
        case 400, 413, 422:
            let overflow = InputOverflow.detect(message: message)
            let what = overflow == nil ? "the input" : "an input longer than the model's context"
            return ProviderError(
                .rejected, "the provider rejected \(what) (HTTP \(status))\(excerpt)", statusCode: status,
                overflow: overflow)
        case 404:
            return ProviderError(
                .fatal, "\(endpoint) answered 404\(excerpt). Check \(.baseURL) and \(.model) '\(configuration.model)'.",
                statusCode: status)
        default:
            return ProviderError(
                .fatal, "\(configuration.provider.rawValue) answered HTTP \(status)\(excerpt).", statusCode: status)
        }
    }

    /// `Retry-After` in seconds or as an HTTP date, or `retry-after-ms`.
    func retryAfter(_ headers: HTTPHeaders) -> Double? {
        if let milliseconds = headers.first(name: "retry-after-ms").flatMap(Double.init) { return milliseconds / 1000 }
        guard let value = headers.first(name: "retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let date = formatter.date(from: value) { return max(0, date.timeIntervalSinceNow) }
        return nil
    }

    func classifyTransport(_ error: any Error) -> ProviderError {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                return ProviderError(.transient, "the request to \(endpoint) timed out")
            }
            if error == .remoteConnectionClosed {
                return ProviderError(.transient, "\(endpoint) closed the connection before the response was complete")
            }
            if error == .invalidURL || error == .emptyHost || error == .emptyScheme {
                return ProviderError(
                    .fatal, "the base URL '\(configuration.baseURL)' is not a valid http(s) URL. Check \(.baseURL).")
            }
        }
        if error is NIOTooManyBytesError {
            return ProviderError(
                .fatal, "the response from \(endpoint) is larger than \(configuration.maxResponseBytes) bytes")
        }
        if error is NIOConnectionError
            || (error as? IOError).map({ [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains($0.errnoCode) }) == true
        {
            return ProviderError(
                .unreachable, "cannot reach \(endpoint): \(redactor.redact(String(describing: error)))")
        }
        return ProviderError(
            .transient, "the connection to \(endpoint) failed: \(redactor.redact(String(describing: error)))")
    }
}
