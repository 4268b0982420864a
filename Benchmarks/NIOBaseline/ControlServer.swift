import NIOCore
import NIOPosix

/// The benchmark runner's control port, a plain TCP line protocol:
/// `broadcast <bytes>` → one message of that many 'x' bytes to every client, then `done <count>`;
/// `count` → `clients <n>`. Anything else → `error <reason>`.
enum ControlServer {
    static func bind(host: String, port: Int, group: EventLoopGroup, registry: ClientRegistry)
        -> EventLoopFuture<Channel>
    {
        ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ControlHandler(registry: registry))
                }
            }
            .bind(host: host, port: port)
    }
}

/// Splits the input into lines and answers them in order: a command's reply is written only after the previous
/// command's, even though a broadcast completes asynchronously on every event loop.
final class ControlHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A control line is a few bytes; a peer sending more without a newline is not the benchmark runner.
    private static let maxLineByteCount = 1024

    private let registry: ClientRegistry
    private var pending = ByteBuffer()
    private var previousReply: EventLoopFuture<Void>?

    init(registry: ClientRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = Self.unwrapInboundIn(data)
        pending.writeBuffer(&input)
        while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            var line = pending.readString(length: newline - pending.readerIndex) ?? ""
            pending.moveReaderIndex(forwardBy: 1)
            if line.hasSuffix("\r") { line.removeLast() }
            enqueue(line, context: context)
        }
        pending.discardReadBytes()
        if pending.readableBytes > Self.maxLineByteCount { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func enqueue(_ command: String, context: ChannelHandlerContext) {
        let eventLoop = context.eventLoop
        let channel = context.channel
        let registry = self.registry
        let previous = previousReply ?? eventLoop.makeSucceededVoidFuture()
        let reply = previous.flatMap { Self.answer(command, registry: registry, eventLoop: eventLoop) }
            .flatMap { text in channel.writeAndFlush(ByteBuffer(string: text + "\n")) }
        previousReply = reply
    }

    private static func answer(_ command: String, registry: ClientRegistry, eventLoop: EventLoop)
        -> EventLoopFuture<String>
    {
        let words = command.split(separator: " ")
        switch (words.first, words.count) {
        case ("broadcast", 2):
            guard let byteCount = Int(words[1]), byteCount >= 0, byteCount <= WebSocketEchoPipeline.maxMessageByteCount
            else { return eventLoop.makeSucceededFuture("error bad byte count") }
            return registry.broadcast(byteCount: byteCount, on: eventLoop).map { "done \($0)" }
        case ("count", 1):
            return registry.count(on: eventLoop).map { "clients \($0)" }
        default:
            return eventLoop.makeSucceededFuture("error unknown command")
        }
    }
}

@available(*, unavailable)
extension ControlHandler: Sendable {}
