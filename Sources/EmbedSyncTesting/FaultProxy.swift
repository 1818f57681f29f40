import Foundation
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

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
        /// A socket bound to ``port`` without listening, once refusing: connections to the port are refused, and no
        /// other server (another test's, which asks the OS for any free port) can take the port meanwhile.
        var placeholder: Int32?
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
        if listener != nil { holdPort() }
        resetAll()
    }

    public func shutdown() async throws {
        try await refuse()
        let placeholder = state.withLock { state in
            defer { state.placeholder = nil }
            return state.placeholder
        }
        if let placeholder { close(placeholder) }
    }

    /// Binds ``port`` again, without listening.
    private func holdPort() {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(descriptor)
            return
        }
        state.withLock { $0.placeholder = descriptor }
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
