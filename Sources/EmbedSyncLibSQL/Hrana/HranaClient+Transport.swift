import AsyncHTTPClient
import EmbedSyncCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

extension HranaClient {
    /// Codes of failures after which the pipeline may be sent again: the server did not run it.
    static let notRunCodes: Set<String> = ["STREAM_EXPIRED", "HTTP_5XX", "HTTP_429"]
    /// Transport failures: the request may or may not have reached the server.
    static let transportCode = "TRANSPORT"
    /// Transport failures before the request was written (a refused connection, a pooled connection closing as the
    /// request was handed to it): the server never saw it, so even a write may be sent again.
    static let notSentCode = "TRANSPORT_NOT_SENT"

    /// Whether `code` is a transport failure of either kind: nothing the server said.
    static func isTransport(_ code: String?) -> Bool { code == transportCode || code == notSentCode }
    /// The server's TLS certificate was refused: trying again cannot help.
    static let certificateCode = "TLS_CERTIFICATE"

    /// Sends one pipeline on a fresh stream (no baton) and returns one outcome per request, retrying when the server
    /// did not run it (5xx, an expired stream, a request that was never sent) and, for reads, when the server could
    /// not be reached.
    /// - Parameter writes: the pipeline writes (a 403 then means a read-only token; a transport error after the
    ///   request was sent is not retried: the server may have committed it).
    func pipeline(_ requests: [HranaRequest], writes: Bool) async throws -> [HranaOutcome] {
        var attempt = 0
        while true {
            do {
                guard writes else { return try await send(requests, baton: nil, writes: false).results }
                return try await WriteGate.forServer(configuration.url.base).run {
                    try await send(requests, baton: nil, writes: true).results
                }
            } catch let error as EmbedSyncError {
                guard attempt < configuration.maxRetries, let code = error.sqlState,
                    HranaClient.notRunCodes.contains(code) || code == HranaClient.notSentCode
                        || (!writes && code == HranaClient.transportCode)
                else { throw error }
                attempt += 1
                logger.info(
                    "retrying a libSQL pipeline",
                    metadata: ["embedsync.code": "\(code)", "embedsync.attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(200 * (1 << min(attempt, 5))))
            }
        }
    }

    /// One HTTP request: the pipeline on the stream `baton` names (a new stream when `nil`).
    func send(_ requests: [HranaRequest], baton: String?, writes: Bool) async throws -> HranaPipelineResponse {
        let body: Data
        do {
            // sqld reads base64 as a borrowed string, which must hold no escapes: never write `\/`.
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            body = try encoder.encode(HranaPipelineRequest(baton: baton, requests: requests))
        } catch {
            throw HranaClient.protocolError("a request could not be encoded")
        }
        while true {
            let version = endpointVersion
            let request = try pipelineRequest(version: version, body: body)
            let status: HTTPResponseStatus
            let bytes: ByteBuffer
            let delegate = SentTrackingResponse(request: request, maxBodySize: configuration.maxResponseBytes)
            do {
                countRequest()
                let task = client.execute(
                    request: request, delegate: delegate, deadline: .now() + .init(configuration.timeout))
                let response = try await withTaskCancellationHandler {
                    try await task.get()
                } onCancel: {
                    task.cancel()
                }
                status = response.status
                bytes = response.body ?? ByteBuffer()
            } catch {
                if let failure = certificateFailure(error) { throw failure }
                let reason = redactor.redact(String(describing: error)).prefix(300)
                let code = delegate.headWasSent ? HranaClient.transportCode : HranaClient.notSentCode
                throw EmbedSyncError(
                    .database,
                    """
                    Cannot reach libSQL at \(configuration.url): \(reason). Check the URL and that the server is \
                    running (libsql://HOST uses TLS; add ?tls=0 for a server without TLS).
                    """,
                    underlying: DatabaseFailure(sqlState: code, message: String(reason)))
            }
            if status == .ok {
                do {
                    let data = Data(bytes.readableBytesView)
                    let decoded = try JSONDecoder().decode(HranaPipelineResponse.self, from: data)
                    guard decoded.results.count == requests.count else {
                        throw HranaClient.protocolError(
                            "\(decoded.results.count) results for \(requests.count) requests")
                    }
                    return decoded
                } catch let error as EmbedSyncError {
                    throw error
                } catch {
                    throw HranaClient.protocolError("its JSON did not decode (\(error))")
                }
            }
            if status == .notFound, version == "v3", baton == nil {
                useVersion2()
                continue
            }
            throw httpFailure(status, body: Data(bytes.readableBytesView), writes: writes)
        }
    }

    /// The HTTP request of one pipeline.
    private func pipelineRequest(version: String, body: Data) throws -> HTTPClient.Request {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        if let token = configuration.authToken { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let url = configuration.url.base + "/\(version)/pipeline"
        do {
            return try HTTPClient.Request(
                url: url, method: .POST, headers: headers, body: .byteBuffer(ByteBuffer(bytes: body)),
                tlsConfiguration: configuration.url.base.hasPrefix("https://") ? try tls.get() : nil)
        } catch let error as EmbedSyncError {
            throw error
        } catch {
            throw EmbedSyncError(.usage, "The libSQL URL \(configuration.url) is not a valid HTTP URL (\(error)).")
        }
    }

    /// A failed TLS handshake (an untrusted or mismatched certificate) as an error that names the fix; never retried.
    func certificateFailure(_ error: any Error) -> EmbedSyncError? {
        let reason: String
        switch error {
        // NIOSSL keeps BoringSSL's error codes private: its reason name is the stable part of the description. Other
        // handshake failures (a server without TLS) stay transport errors, whose message suggests ?tls=0.
        case NIOSSLError.handshakeFailed(let cause) where "\(cause)".contains("CERTIFICATE_VERIFY_FAILED"):
            reason = String(describing: cause)
        case let error as NIOSSLExtraError where error == .failedToValidateHostname: reason = String(describing: error)
        default: return nil
        }
        let variable = configuration.caFileVariable
        let trusted = configuration.caFile.map { "'\($0)' (\(variable))" } ?? "the system's CA bundle"
        return EmbedSyncError(
            .database,
            """
            libSQL at \(configuration.url) presented a TLS certificate that no CA in \(trusted) signed, or that does \
            not name this host (\(redactor.redact(reason).prefix(300))). For a server whose certificate a private CA \
            signed, point \(variable) at that CA's PEM file; use libsql://HOST:PORT?tls=0 only for a server without \
            TLS.
            """,
            underlying: DatabaseFailure(sqlState: HranaClient.certificateCode, message: reason))
    }

    /// A non-200 answer as an error that names the fix; 401 and 403 name the token's variable, never the token.
    func httpFailure(_ status: HTTPResponseStatus, body: Data, writes: Bool) -> EmbedSyncError {
        let (reason, hranaCode) = describeBody(body)
        let url = configuration.url
        let variable = configuration.tokenVariable
        let said = "\(status.code): \(reason)"
        switch status.code {
        case 401 where configuration.authToken == nil:
            return EmbedSyncError(
                .database,
                """
                libSQL at \(url) asks for a token and \(variable) is not set (\(said)). Set \(variable) to a token \
                for this database (e.g. `turso db tokens create NAME`), or name another variable with \
                \(.authTokenVariable).
                """,
                underlying: DatabaseFailure(sqlState: "HTTP_401", message: reason))
        case 401:
            return EmbedSyncError(
                .database,
                """
                libSQL at \(url) refused the token in \(variable) (\(said)). Set \(variable) to a valid, unexpired \
                token for this database.
                """,
                underlying: DatabaseFailure(sqlState: "HTTP_401", message: reason))
        case 403 where writes:
            return EmbedSyncError(
                .database,
                """
                The token in \(variable) is read-only: libSQL at \(url) refused to write (\(said)). Use a read-write \
                token (turso db tokens create without --read-only).
                """,
                underlying: DatabaseFailure(sqlState: "HTTP_403", message: reason))
        case 403:
            return EmbedSyncError(
                .database,
                """
                libSQL at \(url) does not allow the token in \(variable) here (\(said)). Use a token for this \
                database.
                """,
                underlying: DatabaseFailure(sqlState: "HTTP_403", message: reason))
        default:
            let code: String
            if let hranaCode, hranaCode == "STREAM_EXPIRED" {
                code = hranaCode
            } else if status.code >= 500 {
                code = "HTTP_5XX"
            } else if status.code == 429 {
                code = "HTTP_429"
            } else {
                code = hranaCode ?? "HTTP_\(status.code)"
            }
            return EmbedSyncError(
                .database, "libSQL at \(url) answered \(said).",
                underlying: DatabaseFailure(sqlState: code, message: reason))
        }
    }

    /// An error body's message (JSON `{"error"}` or `{"message","code"}`, or text from a proxy), short and redacted.
    func describeBody(_ body: Data) -> (String, String?) {
        var reason = String(decoding: body.prefix(2000), as: UTF8.self)
        var code: String?
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let message = object["error"] as? String ?? object["message"] as? String { reason = message }
            code = object["code"] as? String
        }
        let line = reason.split(whereSeparator: \.isNewline).joined(separator: " ")
        let short = line.count > 240 ? String(line.prefix(240)) + "…" : line
        return (redactor.redact(short.isEmpty ? "no body" : short), code)
    }
}
