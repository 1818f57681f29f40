import Foundation
import Hummingbird

/// The body of `POST /v1/embeddings`, as OpenAI's SDKs send it.
struct EmbeddingsRequest: Decodable, Sendable {
    var input: EmbeddingInput?
    var model: String?
    var encodingFormat: String?
    var dimensions: Int?
    var user: String?

    enum CodingKeys: String, CodingKey {
        case input, model, dimensions, user
        case encodingFormat = "encoding_format"
    }
}

/// `input`: a string, an array of strings, or the token-id arrays LangChain sends (refused: the ids are another
/// tokenizer's).
enum EmbeddingInput: Decodable, Sendable {
    case texts([String])
    case tokenIDs

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .texts([text])
        } else if let texts = try? container.decode([String].self) {
            self = .texts(texts)
        } else if (try? container.decode([Int].self)) != nil || (try? container.decode([[Int]].self)) != nil {
            self = .tokenIDs
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "input must be a string or an array of strings")
        }
    }
}

enum RequestBody {
    static let apiReference = "Please check the API reference: https://platform.openai.com/docs/api-reference."

    /// Reads the whole body (at most `limit` bytes: more is a 413) and decodes it, answering OpenAI's 400s.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let buffer = try await request.body.collect(upTo: limit)
        let data = Data(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw invalid(error)
        }
    }

    static func invalid(_ error: DecodingError) -> APIError {
        let path: [any CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
        @unknown default:
            path = []
        }
        guard let first = path.first else {
            return APIError.invalid(
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                    + "HTTP library correctly. The API expects a JSON payload, but what was sent was not valid JSON.)")
        }
        let dotted = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return APIError.invalid("'$\(dotted)' is invalid. \(apiReference)", param: first.stringValue)
    }
}
