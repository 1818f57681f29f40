import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// Collects a whole response (as `ResponseAccumulator` does) and records whether the request's head was written to
/// the connection.
///
/// A request that failed before its head was written never reached the server, so it can be sent again even when it
/// writes: AsyncHTTPClient fails a request it hands to a pooled connection that is closing at that moment
/// (`remoteConnectionClosed`) without sending anything, and a refused connection sends nothing either.
final class SentTrackingResponse: HTTPClientResponseDelegate {
    typealias Response = HTTPClient.Response

    private let accumulator: ResponseAccumulator
    private let sent = Mutex(false)

    init(request: HTTPClient.Request, maxBodySize: Int) {
        self.accumulator = ResponseAccumulator(request: request, maxBodySize: maxBodySize)
    }

    /// Whether the request's head was written: the server may have seen the request.
    var headWasSent: Bool { sent.withLock { $0 } }

    func didSendRequestHead(task: HTTPClient.Task<Response>, _ head: HTTPRequestHead) {
        sent.withLock { $0 = true }
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        sent.withLock { $0 = true }
        return accumulator.didReceiveHead(task: task, head)
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        accumulator.didReceiveBodyPart(task: task, buffer)
    }

    func didReceiveError(task: HTTPClient.Task<Response>, _ error: any Error) {
        accumulator.didReceiveError(task: task, error)
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        try accumulator.didFinishRequest(task: task)
    }
}
