import EmbedSyncCore
import Foundation
import Hummingbird

/// `POST /v1/embeddings` (and `/embeddings`): OpenAI's contract, answered with the served model.
struct EmbeddingsRoute: Sendable {
    let model: ServedModel
    let batcher: EmbeddingBatcher
    let maxInputs: Int
    let maxBodyBytes: Int
    let metrics: ServerMetrics?

    /// Reads and checks the request (400, 404, 413) before anything is computed.
    func decode(_ request: Request) async throws -> (body: EmbeddingsRequest, texts: [String]) {
        let body = try await RequestBody.decode(EmbeddingsRequest.self, from: request, limit: maxBodyBytes)
        return (body, try validate(body))
    }

    /// Embeds the texts of a checked request and answers in OpenAI's shape.
    func respond(_ body: EmbeddingsRequest, texts: [String]) async throws -> Response {
        let prepared = model.prepare(texts)
        let vectors = try await batcher.embed(prepared)
        let tokens = prepared.reduce(0) { $0 + $1.tokens }
        metrics?.embeddedInputs.increment(by: Int64(texts.count))
        metrics?.embeddedTokens.increment(by: Int64(tokens))
        let base64 = body.encodingFormat == "base64"
        var json = "{\"object\":\"list\",\"data\":["
        json.reserveCapacity(vectors.count * (base64 ? 2100 : 4200) + 200)
        for (index, vector) in vectors.enumerated() {
            if index > 0 { json += "," }
            json += "{\"object\":\"embedding\",\"index\":\(index),\"embedding\":"
            if base64 {
                json += "\"" + Self.base64(vector) + "\""
            } else {
                json += "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
            }
            json += "}"
        }
        json += "],\"model\":" + JSONValue.string(model.id).serialized()
        json += ",\"usage\":{\"prompt_tokens\":\(tokens),\"total_tokens\":\(tokens)}}"
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// The texts to embed, or OpenAI's 400/404 for what the request gets wrong.
    func validate(_ body: EmbeddingsRequest) throws -> [String] {
        guard let name = body.model else {
            throw APIError.invalid("you must provide a model parameter", param: "model")
        }
        guard model.names.contains(name) else {
            throw APIError.notFound(
                "The model `\(name)` does not exist or you do not have access to it. This server serves "
                    + "`\(model.id)` (see GET /v1/models).",
                param: "model", code: "model_not_found")
        }
        if let format = body.encodingFormat, format != "float", format != "base64" {
            throw APIError.invalid(
                "Invalid value for 'encoding_format' = \(format). Supported values: ['float', 'base64'].",
                param: "encoding_format")
        }
        if let dimensions = body.dimensions, dimensions != model.dimensions {
            throw APIError.invalid(
                "This model does not support specifying dimensions. \(model.id) returns \(model.dimensions) "
                    + "dimensions; omit 'dimensions' or pass \(model.dimensions).",
                param: "dimensions")
        }
        switch body.input {
        case nil:
            throw APIError.invalid("'input' is a required property", param: "input")
        case .tokenIDs:
            throw APIError.invalid(
                "'$.input' is invalid: arrays of token ids are not supported. \(model.id) has its own tokenizer, so "
                    + "ids made with another one (tiktoken's cl100k) mean nothing to it: send the texts as strings. "
                    + "LangChain's OpenAIEmbeddings sends token ids unless you pass check_embedding_ctx_length=False.",
                param: "input")
        case .texts(let texts):
            if texts.isEmpty || texts.contains(where: \.isEmpty) {
                throw APIError.invalid("'$.input' is invalid. \(RequestBody.apiReference)", param: "input")
            }
            if texts.count > maxInputs {
                throw APIError.invalid(
                    "'$.input' is too long: at most \(maxInputs) inputs per request, got \(texts.count). Send them "
                        + "in several requests.",
                    param: "input")
            }
            return texts
        }
    }

    /// Standard base64 (with padding) of the vector as little-endian float32, as the SDKs decode it.
    static func base64(_ vector: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }
}
