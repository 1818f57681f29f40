import EmbedSyncCore
import Hummingbird
import NIOCore

/// Turns every error into OpenAI's envelope: unknown routes (404), known routes with another method (405, with
/// `Allow`), bodies over the limit (413, stating it), and anything unexpected (500). A client's mistake never
/// becomes a 5xx, because the SDKs retry those.
struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes served and their methods, to tell 405 from 404.
    let routes: [String: [HTTPRequest.Method]]
    let maxBodyBytes: Int

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as HTTPError {
            return translate(error, request: request).response()
        } catch is NIOTooManyBytesError {
            return APIError(
                .contentTooLarge,
                "The request body is larger than this server's limit of \(maxBodyBytes) bytes. Send fewer inputs per "
                    + "request (or raise --max-body-bytes).",
                type: "invalid_request_error", code: "request_too_large"
            ).response()
        } catch let error as EmbedSyncError {
            return Self.translate(error).response()
        } catch is CancellationError {
            return APIError(.serviceUnavailable, "The server is shutting down.", type: "server_error").response()
        } catch {
            context.logger.error("request failed", metadata: ["embedsync.error": "\(type(of: error))"])
            return APIError.server("The server failed to answer this request; see its log.").response()
        }
    }

    private func translate(_ error: HTTPError, request: Request) -> APIError {
        let path = request.uri.path
        guard error.status == .notFound else {
            return APIError(error.status, error.body ?? error.status.reasonPhrase, type: "invalid_request_error")
        }
        if let methods = routes[path], !methods.contains(request.method) {
            let allowed = methods.map(\.rawValue).joined(separator: ", ")
            var fields = HTTPFields()
            fields[.allow] = allowed
            return APIError(
                .methodNotAllowed, "\(request.method.rawValue) is not allowed on \(path); use \(allowed).",
                type: "invalid_request_error", headers: fields)
        }
        return APIError.notFound("Invalid URL (\(request.method.rawValue) \(path)).")
    }

    /// A library error: usage mistakes are the client's (400), the rest the server's or its provider's.
    static func translate(_ error: EmbedSyncError) -> APIError {
        switch error.code {
        case .usage: return APIError.invalid(error.message)
        case .provider:
            return APIError(.badGateway, "The embedding provider failed: \(error.message)", type: "server_error")
        case .stopped: return APIError(.serviceUnavailable, error.message, type: "server_error")
        case .database, .model: return APIError.server(error.message)
        }
    }
}
