import AsyncHTTPClient
import EmbedSyncCore
import Foundation
import NIOCore

extension HranaClient {
    /// Streams the rows of one read statement through `POST /v3/cursor`.
    ///
    /// The server answers with newline-delimited JSON (a header line, then `step_begin`, one `row` entry per row,
    /// `step_end`), read here as it arrives: a result far over the 10 MB pipeline limit is never held whole, and one
    /// request replaces many pages. The stream is closed afterwards. Nothing is retried once a row was handed over.
    /// - Parameters:
    ///   - timeout: the deadline for the whole response (a large table takes longer than one page).
    ///   - row: called with each row's values, in order.
    /// - Returns: `false` when the server has no cursor endpoint (Hrana 2 only): the caller pages instead.
    /// - Throws: ``EmbedSyncError`` (`.database`) for the statement's error, an HTTP failure or a lost connection.
    public func cursor(
        _ statement: HranaStatement, timeout: Duration, row: ([HranaValue]) throws -> Void
    ) async throws -> Bool {
        guard endpointVersion == "v3" else { return false }
        struct Body: Encodable {
            struct Steps: Encodable { var steps: [HranaBatchStep] }
            var baton: String?
            var batch: Steps
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let body = try encoder.encode(Body(baton: nil, batch: .init(steps: [HranaBatchStep(statement)])))
        var request = HTTPClientRequest(url: configuration.url.base + "/v3/cursor")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token = configuration.authToken { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        if configuration.url.base.hasPrefix("https://") { request.tlsConfiguration = try tls.get() }
        var baton: String?
        do {
            countRequest()
            let response = try await client.execute(request, timeout: .init(timeout))
            if response.status == .notFound { return false }
            guard response.status == .ok else {
                let bytes = try await response.body.collect(upTo: 64 * 1024)
                throw httpFailure(response.status, body: Data(bytes.readableBytesView), writes: false)
            }
            var lines = CursorLines()
            let decoder = JSONDecoder()
            for try await chunk in response.body {
                lines.append(chunk.readableBytesView)
                while let line = lines.next() {
                    baton = try handle(line, decoder: decoder, baton: baton, row: row)
                }
            }
        } catch let error as EmbedSyncError {
            throw error
        } catch {
            if let failure = certificateFailure(error) { throw failure }
            let reason = redactor.redact(String(describing: error)).prefix(300)
            throw EmbedSyncError(
                .database, "Reading from libSQL at \(configuration.url) failed: \(reason).",
                underlying: DatabaseFailure(sqlState: HranaClient.transportCode, message: String(reason)))
        }
        if let baton { _ = try? await send([.close], baton: baton, writes: false) }
        return true
    }

    /// One line of the cursor's answer: the header (its baton is returned), a row, or an error.
    private func handle(
        _ line: Data, decoder: JSONDecoder, baton: String?, row: ([HranaValue]) throws -> Void
    ) throws -> String? {
        struct Entry: Decodable {
            var type: String?
            var baton: String?
            var row: [HranaValue]?
            var error: HranaServerError?
        }
        let entry: Entry
        do {
            entry = try decoder.decode(Entry.self, from: line)
        } catch {
            throw HranaClient.protocolError("a cursor entry did not decode (\(error))")
        }
        switch entry.type {
        case nil: return entry.baton
        case "row": try row(entry.row ?? [])
        case "step_error", "error":
            throw HranaClient.failure(entry.error ?? HranaServerError(message: "unknown error", code: nil))
        default: break  // step_begin, step_end, and entries this client does not know (sqld's replication_index)
        }
        return baton
    }
}

/// Splits a byte stream into lines.
struct CursorLines {
    private var pending = Data()
    private var start = 0

    mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0 {
            pending.removeSubrange(pending.startIndex..<(pending.startIndex + start))
            start = 0
        }
        pending.append(contentsOf: bytes)
    }

    /// The next complete line (without its newline), or `nil` until more bytes arrive.
    mutating func next() -> Data? {
        let from = pending.startIndex + start
        guard let newline = pending[from...].firstIndex(of: 0x0A) else { return nil }
        start = newline + 1 - pending.startIndex
        let line = pending[from..<newline]
        return line.isEmpty ? next() : Data(line)
    }
}
