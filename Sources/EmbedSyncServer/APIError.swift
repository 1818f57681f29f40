import Foundation
import HTTPTypes
import Hummingbird

/// An error answered in OpenAI's envelope, `{"error":{"message","type","param","code"}}`, which the official SDKs
/// read into their own exception classes.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, _ message: String, type: String, param: String? = nil, code: String? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers
    }

    /// 400: the request is malformed; OpenAI's `invalid_request_error`.
    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(.badRequest, message, type: "invalid_request_error", param: param, code: code)
    }

    static func notFound(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(.notFound, message, type: "invalid_request_error", param: param, code: code)
    }

    static func unauthorized(_ message: String) -> APIError {
        APIError(.unauthorized, message, type: "invalid_request_error", code: "invalid_api_key")
    }

    static func server(_ message: String) -> APIError {
        APIError(.internalServerError, message, type: "server_error")
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    func response() -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    var body: [UInt8] {
        let error: [String: Any] = [
            "message": message, "type": type, "param": param ?? NSNull(), "code": code ?? NSNull(),
        ]
        let data =
            (try? JSONSerialization.data(
                withJSONObject: ["error": error], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data)
    }
}
