import EmbedSyncCore
import EmbedSyncServer
import EmbedSyncTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A decoded JSON answer: status, headers and body as Foundation objects.
struct Answer {
    var status: Int
    var headers: HTTPFields
    var text: String
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
    var errorMessage: String { error["message"] as? String ?? "" }
    var data: [[String: Any]] { json["data"] as? [[String: Any]] ?? [] }
}

extension TestClientProtocol {
    func call(
        _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, headers: HTTPFields = [:],
        contentType: String? = "application/json"
    ) async throws -> Answer {
        var fields = headers
        if json != nil, let contentType { fields[.contentType] = contentType }
        return try await execute(
            uri: uri, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) }
        ) { response in
            Answer(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
        }
    }
}

enum Fixture {
    /// A server over the scripted embedder (8 dimensions, characters/4 tokens), with an optional search backend.
    static func app(
        _ configuration: ServerConfiguration = ServerConfiguration(port: 0),
        embedder: any Embedder = ScriptedEmbedder(),
        search: SearchBackend? = nil, metrics: ServerMetrics? = nil, aliases: [String] = []
    ) -> some ApplicationProtocol {
        buildApplication(
            configuration: configuration,
            backend: ServerBackend(model: ServedModel(embedder: embedder, aliases: aliases), search: search),
            metrics: metrics)
    }

    /// Little-endian float32 from standard base64, as the Python and Node SDKs decode it.
    static func decodeBase64(_ text: String) -> [Float]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        return stride(from: 0, to: data.count, by: 4).map { offset in
            let bits = data[data.startIndex + offset..<data.startIndex + offset + 4].enumerated().reduce(UInt32(0)) {
                $0 | UInt32($1.element) << (8 * UInt32($1.offset))
            }
            return Float(bitPattern: bits)
        }
    }

    static func floats(_ value: Any?) -> [Float] {
        (value as? [Any])?.compactMap { ($0 as? NSNumber)?.floatValue } ?? []
    }
}
