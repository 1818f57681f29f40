import Foundation
import Hummingbird

/// CORS for the listed origins only (never reflect-all): answers their preflight before auth, since browsers send
/// no credentials on it, and marks their responses. Requests from other origins get no CORS headers.
struct CORSPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var fields = HTTPFields()
            fields[.accessControlAllowOrigin] = origin
            fields[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            fields[.accessControlAllowHeaders] =
                request.headers[.accessControlRequestHeaders] ?? "Authorization, Content-Type"
            fields[.accessControlMaxAge] = "600"
            fields[.vary] = "Origin"
            return Response(status: .noContent, headers: fields)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        return response
    }
}

/// The checks every request passes before a route: the `Host` header on a loopback server (DNS rebinding), the
/// bearer token on the API, and a JSON body on POST.
struct GateMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?
    let loopbackOnly: Bool

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if loopbackOnly, let host = request.head.authority,
            !ServerConfiguration.isLoopbackName(Self.hostName(host))
        {
            throw APIError(
                .forbidden,
                "This server listens on loopback and answers only requests addressed to a loopback name "
                    + "(localhost, 127.0.0.1, [::1]), not '\(Self.hostName(host))'.",
                type: "permission_denied")
        }
        if let token, Self.needsToken(request.uri.path) {
            guard let header = request.headers[.authorization], Self.matches(header, token: token) else {
                throw APIError.unauthorized(
                    "Incorrect or missing API key. Send the server's token as 'Authorization: Bearer TOKEN' (the "
                        + "token is the value of the variable named by --token-env).")
            }
        }
        if request.method == .post {
            let type = request.headers[.contentType] ?? ""
            let mediaType = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard mediaType.lowercased() == "application/json" else {
                throw APIError(
                    .unsupportedMediaType,
                    "POST bodies must be JSON: send 'Content-Type: application/json' (got '\(type)').",
                    type: "invalid_request_error")
            }
        }
        return try await next(request, context)
    }

    static func needsToken(_ path: String) -> Bool {
        path.hasPrefix("/v1/") || path == "/embeddings" || path == "/metrics"
    }

    /// `host:port`, `[v6]:port` or a bare name, to the name alone.
    static func hostName(_ header: String) -> String {
        if header.hasPrefix("["), let end = header.firstIndex(of: "]") {
            return String(header[header.startIndex...end])
        }
        return String(header.split(separator: ":", maxSplits: 1).first ?? "").lowercased()
    }

    /// `Bearer TOKEN`, compared in constant time for a given length.
    static func matches(_ header: String, token: String) -> Bool {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        let given = Array(parts[1].trimmingCharacters(in: .whitespaces).utf8)
        let expected = Array(token.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in 0..<expected.count {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }
}
