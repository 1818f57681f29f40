import EmbedSyncCore
import Foundation

/// Checks a batch input file as OpenAI does: all or nothing, stopping at the first bad line.
enum FakeBatchValidator {
    static func validate(_ bytes: [UInt8]) -> ([FakeRequestLine], [(line: Int?, code: String, message: String)]) {
        var lines: [FakeRequestLine] = []
        var seen: Set<String> = []
        var model: String?
        var number = 0
        for raw in bytes.split(separator: 0x0a, omittingEmptySubsequences: false) {
            number += 1
            guard raw.contains(where: { $0 > 0x20 }) else { continue }
            guard let json = try? LenientJSON.parse(Array(raw)) else {
                return ([], [(number, "invalid_json_line", "This line is not parseable as valid JSON.")])
            }
            guard let customID = json["custom_id"]?.string else {
                return ([], [(number, "missing_required_parameter", "Missing required parameter: 'custom_id'.")])
            }
            guard seen.insert(customID).inserted else {
                return ([], [(number, "duplicate_custom_id", "The custom_id for this request is a duplicate.")])
            }
            guard json["method"]?.string == "POST", json["url"]?.string == "/v1/embeddings" else {
                return ([], [(number, "invalid_url", "The URL provided for this request does not match the batch.")])
            }
            guard let lineModel = json["body"]?["model"]?.string else {
                return ([], [(number, "invalid_request", "Missing required parameter: 'body.model'.")])
            }
            if let model, model != lineModel {
                return ([], [(number, "mismatched_model", "The provided model does not match the others.")])
            }
            model = lineModel
            let input = json["body"]?["input"]
            let inputs = input?.string.map { [$0] } ?? input?.array?.compactMap(\.string) ?? []
            guard !inputs.isEmpty else {
                return ([], [(number, "invalid_request", "'input' must be a string or a non-empty array.")])
            }
            lines.append(
                FakeRequestLine(
                    customID: customID, inputs: inputs, model: lineModel, dimensions: json["body"]?["dimensions"]?.int))
        }
        return (lines, [])
    }
}

/// Moves a fake batch one status on, and writes its result files when it ends.
enum FakeBatchProgress {
    static func advance(_ batch: inout FakeBatch, book: inout BatchBook, server: FakeProviderServer) {
        switch batch.status {
        case "validating":
            batch.status = batch.errors.isEmpty ? "in_progress" : "failed"
        case "in_progress":
            if !book.held { batch.status = "finalizing" }
        case "finalizing":
            switch batch.plan {
            case .expire(let done): finish(&batch, done: done, as: "expired", book: &book, server: server)
            default: finish(&batch, done: batch.lines.count, as: "completed", book: &book, server: server)
            }
        case "cancelling":
            finish(&batch, done: batch.lines.count / 2, as: "cancelled", book: &book, server: server)
        default:
            break
        }
    }

    private static func finish(
        _ batch: inout FakeBatch, done: Int, as status: String, book: inout BatchBook, server: FakeProviderServer
    ) {
        var output: [(String, String)] = []
        var errors: [String] = []
        let dimensions = server.options.dimensions
        for (index, line) in batch.lines.enumerated() {
            let id = quoted(line.customID)
            let request = "batch_req_\(batch.id)_\(index)"
            if index >= done {
                let code = status == "expired" ? "batch_expired" : "batch_cancelled"
                errors.append(
                    """
                    {"id":"\(request)","custom_id":\(id),"response":null,"error":{"code":"\(code)",\
                    "message":"This request could not be executed before the completion window expired."}}
                    """)
            } else if let status = [("POISON", 400), ("FAIL500", 500)].first(where: { marker in
                line.inputs.contains { $0.contains(marker.0) }
            })?.1 {
                batch.failed += 1
                errors.append(
                    """
                    {"id":"\(request)","custom_id":\(id),"response":{"status_code":\(status),"request_id":"r\(index)",\
                    "body":{"error":{"message":"Invalid input: scripted failure \(status).","type":\
                    "invalid_request_error","param":null,"code":null}}},"error":null}
                    """)
            } else {
                batch.completed += 1
                var tokens = 0
                var data: [String] = []
                for (position, input) in line.inputs.enumerated() {
                    tokens += server.options.tokenCount(input)
                    let nan = input.contains("NAN!")
                    let vector = FakeProviderServer.vector(for: input, dimensions: line.dimensions ?? dimensions)
                    let values = vector.map { nan ? "NaN" : "\($0)" }.joined(separator: ",")
                    data.append(#"{"object":"embedding","index":\#(position),"embedding":[\#(values)]}"#)
                }
                output.append(
                    (
                        line.customID,
                        """
                        {"id":"\(request)","custom_id":\(id),"response":{"status_code":200,"request_id":"r\(index)",\
                        "body":{"object":"list","data":[\(data.joined(separator: ","))],"model":"\(line.model)",\
                        "usage":{"prompt_tokens":\(tokens),"total_tokens":\(tokens)}}},"error":null}
                        """
                    ))
            }
        }
        // Lines come back in another order than they went up: callers must join on custom_id.
        output.sort { stableHash($0.0) < stableHash($1.0) }
        if !output.isEmpty {
            batch.outputFileID = store(output.map(\.1), purpose: "batch_output", book: &book)
        }
        if !errors.isEmpty {
            batch.errorFileID = store(errors, purpose: "batch_output", book: &book)
        }
        batch.status = status
    }

    private static func store(_ lines: [String], purpose: String, book: inout BatchBook) -> String {
        let id = book.newID("file")
        let text = lines.joined(separator: "\n") + "\n"
        book.files[id] = FakeFile(
            id: id, purpose: purpose, name: "\(id).jsonl", bytes: Array(text.utf8),
            createdAt: Int(Date().timeIntervalSince1970))
        return id
    }

    private static func quoted(_ text: String) -> String {
        (try? JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed))
            .map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    private static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}

/// A minimal multipart/form-data reader: field name → bytes (and filename).
enum Multipart {
    static func parse(_ body: [UInt8], boundary: String) -> [String: (bytes: [UInt8], filename: String?)] {
        let marker = Array("--\(boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))".utf8)
        var fields: [String: (bytes: [UInt8], filename: String?)] = [:]
        var starts: [Int] = []
        var index = 0
        while index + marker.count <= body.count {
            if body[index] == marker[0], Array(body[index..<index + marker.count]) == marker {
                starts.append(index)
                index += marker.count
            } else {
                index += 1
            }
        }
        for (first, next) in zip(starts, starts.dropFirst()) {
            let part = Array(body[(first + marker.count)..<next])
            let separator: [UInt8] = [13, 10, 13, 10]
            guard let split = (0..<max(0, part.count - 3)).first(where: { Array(part[$0..<$0 + 4]) == separator })
            else { continue }
            let headers = String(decoding: part[..<split], as: UTF8.self)
            var content = Array(part[(split + 4)...])
            if content.suffix(2) == [13, 10] { content.removeLast(2) }
            guard let name = value(of: "name", in: headers) else { continue }
            fields[name] = (content, value(of: "filename", in: headers))
        }
        return fields
    }

    private static func value(of key: String, in headers: String) -> String? {
        guard let range = headers.range(of: " \(key)=\"") ?? headers.range(of: ";\(key)=\"") else { return nil }
        let rest = headers[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
