import NIOCore
import NIOWebSocket

/// The clients a broadcast reaches, kept per event loop: a channel is only ever touched on its own loop, so each
/// loop owns the list of its channels and a broadcast is one task per loop walking its own list, with no lock.
final class ClientRegistry: Sendable {
    private struct LoopClients: Sendable {
        let eventLoop: EventLoop
        let channels: NIOLoopBoundBox<[ObjectIdentifier: Channel]>
    }

    private let loops: [LoopClients]
    private let loopIndex: [ObjectIdentifier: Int]
    private let framing: NIOBaseline.Framing

    init(group: EventLoopGroup, framing: NIOBaseline.Framing) {
        var loops: [LoopClients] = []
        for eventLoop in group.makeIterator() {
            loops.append(LoopClients(eventLoop: eventLoop, channels: .makeBoxSendingValue([:], eventLoop: eventLoop)))
        }
        self.loops = loops
        self.loopIndex = Dictionary(
            uniqueKeysWithValues: loops.enumerated().map { (ObjectIdentifier($0.element.eventLoop), $0.offset) })
        self.framing = framing
    }

    /// Called on the channel's own loop.
    func add(_ channel: Channel) {
        clients(of: channel).value[ObjectIdentifier(channel)] = channel
    }

    /// Called on the channel's own loop.
    func remove(_ channel: Channel) {
        clients(of: channel).value.removeValue(forKey: ObjectIdentifier(channel))
    }

    /// Writes one message of `byteCount` bytes ('x') to every registered client: each loop builds the payload
    /// once and hands the same read-only buffer to each of its channels. Succeeds with the number of clients
    /// written to once every loop has issued its writes (not once the clients received them).
    func broadcast(byteCount: Int, on eventLoop: EventLoop) -> EventLoopFuture<Int> {
        let framing = self.framing
        let fanOuts = loops.map { loop in
            loop.eventLoop.submit {
                let channels = loop.channels.value
                let payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: byteCount)
                switch framing {
                case .tcp:
                    for channel in channels.values { channel.writeAndFlush(payload, promise: nil) }
                case .websocket:
                    let frame = WebSocketFrame(fin: true, opcode: .text, data: payload)
                    for channel in channels.values { channel.writeAndFlush(frame, promise: nil) }
                }
                return channels.count
            }
        }
        return EventLoopFuture.reduce(0, fanOuts, on: eventLoop, +)
    }

    /// The number of registered clients, summed over the loops.
    func count(on eventLoop: EventLoop) -> EventLoopFuture<Int> {
        let counts = loops.map { loop in loop.eventLoop.submit { loop.channels.value.count } }
        return EventLoopFuture.reduce(0, counts, on: eventLoop, +)
    }

    private func clients(of channel: Channel) -> NIOLoopBoundBox<[ObjectIdentifier: Channel]> {
        guard let index = loopIndex[ObjectIdentifier(channel.eventLoop)] else {
            preconditionFailure("client channel on an event loop outside the registry's group")
        }
        return loops[index].channels
    }
}

/// Keeps its channel in the registry while the channel is active. Added to the pipeline of a raw TCP client at
/// accept, and to a WebSocket client's pipeline once it is upgraded (so only upgraded clients get broadcasts).
/// It goes last: the echo handlers consume every read, so the data path never passes through it.
final class ClientMembershipHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    private let registry: ClientRegistry

    init(registry: ClientRegistry) {
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { registry.add(context.channel) }
    }

    func channelActive(context: ChannelHandlerContext) {
        registry.add(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        registry.remove(context.channel)
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ClientMembershipHandler: Sendable {}
