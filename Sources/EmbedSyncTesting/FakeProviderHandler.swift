import EmbedSyncCore
import Foundation
import NIOCore
import NIOHTTP1

/// Answers one HTTP/1.1 request at a time on a connection, as the fake provider.
final class FakeProviderHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: NIO calls a handler only on its channel's event loop, so `head` and `body` are never shared.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let box: StateBox
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(box: StateBox) {
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.removeAll(keepingCapacity: true)
        case .body(var buffer):
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            guard let head, let server = box.server.withLock({ $0 }) else { return }
            let reply = FakeProviderLogic(server: server).respond(head: head, body: body)
            let keepAlive = head.isKeepAlive
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let held = server.hold {
                eventLoop.execute { self.answer(reply, context: bound.value, keepAlive: keepAlive) }
            }
            if !held { answer(reply, context: context, keepAlive: keepAlive) }
        }
    }

    /// Sends `reply` after its scripted delay.
    private func answer(_ reply: FakeReply, context: ChannelHandlerContext, keepAlive: Bool) {
        guard reply.delay > 0 else { return send(reply, context: context, keepAlive: keepAlive) }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(Int64(reply.delay * 1000))) {
            self.send(reply, context: bound.value, keepAlive: keepAlive)
        }
    }

    private func send(_ reply: FakeReply, context: ChannelHandlerContext, keepAlive: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in reply.headers { headers.add(name: name, value: value) }
        if reply.cut {
            headers.add(name: "Content-Length", value: String(reply.body.count))
            context.write(
                wrapOutboundOut(
                    .head(
                        HTTPResponseHead(
                            version: .http1_1, status: .init(statusCode: reply.status), headers: headers))),
                promise: nil)
            let half = Array(reply.body.prefix(reply.body.count / 2))
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: half)))), promise: nil)
            context.close(promise: nil)
            return
        }
        headers.add(name: "Content-Length", value: String(reply.body.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(
                .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: reply.status), headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { bound.value.close(promise: nil) }
        }
    }
}

struct FakeReply: Sendable {
    var status = 200
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    var delay = 0.0
    var cut = false
}
