import Hummingbird
import NIOCore
import Synchronization

/// The server's request context: Hummingbird's basics and the connection, so a long request can learn that its
/// client hung up.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }
}

/// Raised once a connection's client is gone: it closed its side (the server allows half-closed connections, so
/// that is the `inputClosed` event) or the connection dropped.
final class HangUpSignal: Sendable {
    private struct State {
        var raised = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var next = 0
    }

    private let state = Mutex(State())

    func raise() {
        let waiters = state.withLock { state in
            state.raised = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the signal is raised, or at once when the waiting task is cancelled.
    func wait() async {
        let id = state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state in
                    if state.raised || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    var isRaised: Bool { state.withLock { $0.raised } }
}

/// One per connection (`additionalChannelHandlers`): watches for the client going away.
final class HangUpHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let signal = HangUpSignal()

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { signal.raise() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        signal.raise()
        context.fireChannelInactive()
    }

    /// The signal of `channel`'s connection, or `nil` where there is none (the in-process test router).
    static func signal(of channel: any Channel) async -> HangUpSignal? {
        try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: HangUpHandler.self).signal
        }.get()
    }
}

/// Runs `work`, cancelling it when the client hangs up: it is then no longer computed for (a request still queued for
/// the model is dropped from its batch). Answers 499, nginx's "client closed request", which nobody reads.
func cancellingOnHangUp<T: Sendable>(
    _ channel: any Channel, metrics: ServerMetrics?, _ work: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard let signal = await HangUpHandler.signal(of: channel) else { return try await work() }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await work() }
        group.addTask {
            await signal.wait()
            return nil
        }
        defer { group.cancelAll() }
        let first = try await group.next()
        if let value = first ?? nil { return value }
        // The client is gone: cancel the work first (its cancellation handlers run now), then count it.
        group.cancelAll()
        metrics?.abandoned.increment()
        throw APIError(
            HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request"), "The client hung up.",
            type: "invalid_request_error")
    }
}
