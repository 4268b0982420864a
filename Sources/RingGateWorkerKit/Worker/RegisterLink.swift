import NIOCore
import RingGateCodecs

/// A worker's connection to one Register (spec §6): Text framing (`\n`-terminated JSON lines),
/// `worker_connect` on connect, a `ping` every 25 s unless the address starts with `127.0.0.1`, and a
/// `broadcast_addresses` line whenever the gateway list changes.
final class RegisterLink: LoopConnection {
    /// Longest line accepted. A real broadcast takes about 24 bytes per gateway, so 1 MiB is room for
    /// 40,000; workerman Text's 10 MiB would let a hostile Register make every worker buffer that much.
    static let maxLineLength = 1 << 20
    /// Most addresses one broadcast may list. A longer list closes the link (it reconnects after the
    /// usual delay) instead of making the worker open that many gateway connections.
    static let maxAddresses = 4096

    let core: WorkerCore
    /// The address as configured (its `127.0.0.1` prefix decides about pings, like PHP's `strpos`).
    let address: String

    init(core: WorkerCore, endpoint: IPv4Endpoint, address: String) {
        self.core = core
        self.address = address
        super.init(loop: core.loop, endpoint: endpoint)
    }

    override func didConnect() {
        core.statistics.registerConnects += 1
        outbound.append(contentsOf: RegisterMessage.workerConnect(secretKey: core.configuration.secretKey).encodedLine)
        outboundDidGrow()
        if !address.hasPrefix("127.0.0.1") { schedulePing() }
    }

    override func makeDecoder() -> any ChannelHandler {
        ByteToMessageHandler(RegisterLineDecoder(maxLineLength: Self.maxLineLength))
    }

    override func didReceive(_ frame: ByteBuffer) {
        let line = RegisterMessage.decode(line: Array(frame.readableBytesView))
        if let count = Self.oversizedListCount(line) {
            return close(.protocolError("Register listed \(count) gateways, more than \(Self.maxAddresses)"))
        }
        core.registerSent(line, from: self)
    }

    override func didClose(_ reason: CloseReason) {
        core.registerLinkDidClose(self, reason: reason)
    }

    /// The address count of a broadcast listing more than `maxAddresses`; nil for anything else.
    static func oversizedListCount(_ line: RegisterLine) -> Int? {
        guard case .message(.broadcastAddresses(let list)) = line, list.addresses.count > maxAddresses else {
            return nil
        }
        return list.addresses.count
    }

    private func schedulePing() {
        loop.schedule(after: core.configuration.registerPingInterval) { [weak self] in
            guard let self, phase == .open else { return }
            outbound.append(contentsOf: RegisterMessage.ping.encodedLine)
            outboundDidGrow()
            schedulePing()
        }
    }
}
