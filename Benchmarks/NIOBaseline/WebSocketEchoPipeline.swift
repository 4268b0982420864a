import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The WebSocket client pipeline: NIOHTTP1's server pipeline with NIOWebSocket's upgrader (any path), then, once
/// upgraded, the frame aggregator (fragmented messages arrive whole) and the echo handler.
enum WebSocketEchoPipeline {
    /// Largest message accepted, as one frame or assembled from fragments.
    static let maxMessageByteCount = 16 << 20

    /// Called on the channel's loop from the child channel initializer.
    static func configure(_ channel: Channel, registry: ClientRegistry) throws {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: maxMessageByteCount,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0,
                            maxAccumulatedFrameCount: 1 << 16,
                            maxAccumulatedFrameSize: maxMessageByteCount),
                        WebSocketEchoHandler(),
                        ClientMembershipHandler(registry: registry))
                }
            })
        let notUpgraded = NIOLoopBound(PlainHTTPRequestHandler(), eventLoop: channel.eventLoop)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    context.pipeline.syncOperations.removeHandler(notUpgraded.value, promise: nil)
                }
            ))
        try channel.pipeline.syncOperations.addHandler(notUpgraded.value)
    }
}

/// Echoes every text or binary message as one unmasked frame with the same opcode; answers ping with pong and a
/// close with a close (same status code), then closes the connection.
final class WebSocketEchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var sentClose = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            context.write(
                Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: frame.opcode, data: frame.unmaskedData)),
                promise: nil)
        case .ping:
            context.write(
                Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)),
                promise: nil)
        case .connectionClose:
            replyToClose(context: context, frame: frame)
        default:
            break  // pong: nothing to do; continuation never passes the aggregator
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    /// Frame protocol errors were already answered with a close frame (1002, 1009) by NIOWebSocket's automatic
    /// error handling; anything else (a reset, the aggregator's limits) just closes.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func replyToClose(context: ChannelHandlerContext, frame: WebSocketFrame) {
        guard !sentClose else { return }
        sentClose = true
        var payload = frame.unmaskedData
        let statusCode = payload.readSlice(length: min(2, payload.readableBytes)) ?? ByteBuffer()
        let channel = context.channel
        context.writeAndFlush(
            Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: statusCode))
        ).whenComplete { _ in channel.close(promise: nil) }
    }
}

@available(*, unavailable)
extension WebSocketEchoHandler: Sendable {}

/// Answers a request that is not a WebSocket upgrade with 426 Upgrade Required and closes the connection.
final class PlainHTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = Self.unwrapInboundIn(data) else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Content-Length", value: "0")
        headers.add(name: "Upgrade", value: "websocket")
        let head = HTTPResponseHead(version: .http1_1, status: .upgradeRequired, headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

@available(*, unavailable)
extension PlainHTTPRequestHandler: Sendable {}
