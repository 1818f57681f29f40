import NIOCore
import NIOPosix

/// The side EmbedSync connects to: connects to the server (unless black-holed) and relays what EmbedSync sends.
final class ProxyClientSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let proxy: FaultProxy
    private var fault = FaultProxy.Fault.pass
    private var upstream: (any Channel)?
    private var pending: [ByteBuffer] = []

    init(proxy: FaultProxy) {
        self.proxy = proxy
    }

    func channelActive(context: ChannelHandlerContext) {
        fault = proxy.accepted(context.channel)
        guard fault != .blackHole else { return }
        let client = context.channel
        let fault = self.fault
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .channelInitializer { [proxy] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ProxyServerSide(proxy: proxy, client: client, fault: fault))
                }
            }
            .connect(host: proxy.upstreamHost, port: proxy.upstreamPort)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    bound.value.upstream = channel
                    for buffer in bound.value.pending { channel.write(buffer, promise: nil) }
                    bound.value.pending = []
                    channel.flush()
                case .failure:
                    FaultProxy.reset(client)
                }
            }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard fault != .blackHole, !proxy.isSilenced else { return }
        if let upstream {
            upstream.writeAndFlush(buffer, promise: nil)
        } else {
            pending.append(buffer)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        proxy.closed(context.channel)
        upstream?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The side connected to the server: relays its answer to EmbedSync through the connection's fault.
final class ProxyServerSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let proxy: FaultProxy
    let client: any Channel
    let fault: FaultProxy.Fault
    private var relayed = 0
    private var drip: ByteBuffer?
    private var upstreamClosed = false

    init(proxy: FaultProxy, client: any Channel, fault: FaultProxy.Fault) {
        self.proxy = proxy
        self.client = client
        self.fault = fault
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !proxy.isSilenced else { return }
        switch fault {
        case .pass, .blackHole:
            client.writeAndFlush(buffer, promise: nil)
        case .resetAfter(let limit):
            let allowed = max(0, limit - relayed)
            if buffer.readableBytes <= allowed {
                relayed += buffer.readableBytes
                client.writeAndFlush(buffer, promise: nil)
                return
            }
            if allowed > 0, let head = buffer.readSlice(length: allowed) {
                relayed += allowed
                client.writeAndFlush(head, promise: nil)
            }
            FaultProxy.reset(client)
            context.close(promise: nil)
        case .slowDrip(let bytes, let interval):
            let scheduled = drip != nil
            if drip == nil { drip = buffer } else { drip!.writeBuffer(&buffer) }
            if !scheduled { dripNext(context: context, bytes: bytes, interval: interval) }
        }
    }

    private func dripNext(context: ChannelHandlerContext, bytes: Int, interval: Double) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(Int64(interval * 1000))) {
            let (handler, context) = bound.value
            guard var pending = handler.drip, handler.client.isActive else { return }
            if let piece = pending.readSlice(length: min(bytes, pending.readableBytes)) {
                handler.client.writeAndFlush(piece, promise: nil)
            }
            if pending.readableBytes > 0 {
                handler.drip = pending
                handler.dripNext(context: context, bytes: bytes, interval: interval)
            } else {
                handler.drip = nil
                if handler.upstreamClosed { handler.client.close(promise: nil) }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        upstreamClosed = true
        if drip == nil { client.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
        client.close(promise: nil)
    }
}
