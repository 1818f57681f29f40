import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy that sits between EmbedSync and a server it talks to (a provider, PostgreSQL) and breaks the network
/// in the ways real networks break: a peer that accepts and never answers, a connection reset in the middle of a
/// response, a response that arrives a few bytes at a time, a port that refuses connections.
///
/// Each new connection takes the next queued fault (then the default, `pass`), so a test can fault the first attempt
/// and let the retry through:
///
/// ```swift
/// let proxy = try await FaultProxy.start(upstreamPort: provider.port)
/// proxy.enqueue(.resetAfter(bytes: 40))
/// // point EmbedSync at 127.0.0.1:\(proxy.port)
/// ```
public final class FaultProxy: Sendable {
    public enum Fault: Sendable, Equatable {
        /// Relay both ways.
        case pass
        /// Accept, read and drop everything, never answer (and never reach the server).
        case blackHole
        /// Relay the first `bytes` bytes of the server's answer, then reset the connection (RST).
        case resetAfter(bytes: Int)
        /// Relay the server's answer `bytes` bytes at a time, one piece every `interval` seconds.
        case slowDrip(bytes: Int, interval: Double)
    }

    struct State {
        var queued: [Fault] = []
        var fallback = Fault.pass
        var connections = 0
        var open: [ObjectIdentifier: any Channel] = [:]
        var listener: (any Channel)?
        var silenced = false
    }

    /// The port EmbedSync connects to, on 127.0.0.1.
    public let port: Int
    let upstreamHost: String
    let upstreamPort: Int
    let state = Mutex(State())

    private init(port: Int, upstreamHost: String, upstreamPort: Int) {
        self.port = port
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
    }

    /// Starts relaying from an ephemeral port of 127.0.0.1 to `upstreamHost:upstreamPort`.
    public static func start(upstreamHost: String = "127.0.0.1", upstreamPort: Int) async throws -> FaultProxy {
        let box = Mutex<FaultProxy?>(nil)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard let proxy = box.withLock({ $0 }) else { return channel.close() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ProxyClientSide(proxy: proxy))
                }
            }
        let listener = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        let proxy = FaultProxy(
            port: listener.localAddress?.port ?? 0, upstreamHost: upstreamHost, upstreamPort: upstreamPort)
        proxy.state.withLock { $0.listener = listener }
        box.withLock { $0 = proxy }
        return proxy
    }

    /// Faults for the next connections, in order.
    public func enqueue(_ faults: Fault...) {
        state.withLock { $0.queued.append(contentsOf: faults) }
    }

    /// The fault of every connection once the queue is empty.
    public func setDefault(_ fault: Fault) {
        state.withLock { $0.fallback = fault }
    }

    /// Connections accepted so far.
    public var connections: Int { state.withLock { $0.connections } }

    /// Resets every open connection at once, as a dropped network or a restarted server does.
    public func resetAll() {
        let open = state.withLock { Array($0.open.values) }
        for channel in open { FaultProxy.reset(channel) }
    }

    /// The network goes silent: open connections stay open but carry nothing more either way, and new ones are
    /// black-holed (a cable pulled between two hosts that keep their sockets).
    public func silenceAll() {
        state.withLock { $0.silenced = true }
    }

    var isSilenced: Bool { state.withLock { $0.silenced } }

    /// Stops listening: new connections are refused, open ones are reset.
    public func refuse() async throws {
        let listener = state.withLock { state in
            defer { state.listener = nil }
            return state.listener
        }
        try await listener?.close()
        resetAll()
    }

    public func shutdown() async throws {
        try await refuse()
    }

    func accepted(_ channel: any Channel) -> Fault {
        state.withLock { state in
            state.connections += 1
            state.open[ObjectIdentifier(channel)] = channel
            if state.silenced { return .blackHole }
            return state.queued.isEmpty ? state.fallback : state.queued.removeFirst()
        }
    }

    func closed(_ channel: any Channel) {
        _ = state.withLock { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Closes `channel` with an RST rather than a FIN.
    static func reset(_ channel: any Channel) {
        guard let socket = channel as? any SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }
}
