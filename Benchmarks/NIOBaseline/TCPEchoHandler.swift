import NIOCore

/// Raw TCP echo, as in SwiftNIO's own echo example: every buffer read is written back as it is, and one flush
/// per read burst lets NIO gather the pending writes into a single writev.
final class TCPEchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    /// Resets and broken pipes are normal when load generators disconnect; close quietly.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension TCPEchoHandler: Sendable {}
