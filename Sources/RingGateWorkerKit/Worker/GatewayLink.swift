import NIOCore
import RingGateCodecs

/// A worker connection (spec §5.6): the one connection a worker keeps to each gateway. Its first
/// packet is CMD_WORKER_CONNECT (queued before the connect completes, like PHP); then it carries
/// events in and commands out.
final class GatewayLink: LoopConnection {
    let core: WorkerCore
    /// Sessions this worker wrote that the gateway has not echoed back yet, by connection id.
    var pendingSessions: [UInt32: PendingSessionWrite] = [:]

    init(core: WorkerCore, endpoint: IPv4Endpoint) {
        self.core = core
        super.init(loop: core.loop, endpoint: endpoint)
    }

    /// Encodes one command into the output, or drops and counts it when the connection is not open,
    /// already holds the send buffer limit (PHP's `sendToGatewayBufferSize` drop) or the command is
    /// too large.
    func sendCommand(_ encode: (inout [UInt8]) throws(GatewayKitError) -> Void) {
        guard phase == .open else {
            core.statistics.commandsDroppedNoConnection += 1
            return
        }
        let limit = core.configuration.maxSendBufferByteCount
        guard pendingOutboundByteCountBound < limit || pendingOutboundByteCount < limit else {
            core.statistics.commandsDroppedBufferFull += 1
            return
        }
        do {
            try encode(&outbound)
        } catch {
            core.statistics.commandsTooLarge += 1
            core.logger.error("command not sent", metadata: ["gateway": "\(endpoint)", "error": "\(error)"])
            return
        }
        outboundDidGrow()
    }

    override func didConnect() {
        core.linkDidOpen(self)
    }

    override func makeDecoder() -> any ChannelHandler {
        ByteToMessageHandler(GatewayPacketDecoder(maxPackageLength: core.configuration.maxPackageLength))
    }

    override func didClose(_ reason: CloseReason) {
        pendingSessions.removeAll()
        if case .protocolError = reason {
            core.statistics.protocolErrors += 1
            core.logger.error("bad packet from gateway", metadata: ["gateway": "\(endpoint)", "error": "\(reason)"])
        }
        core.linkDidClose(self, reason: reason)
    }

    /// Hands every packet of a run (framed and validated by `GatewayPacketDecoder`) to the worker, in order,
    /// decoded straight from the received bytes.
    override func didReceive(_ frame: ByteBuffer) {
        let bytes = frame.readableBytesUInt8Span
        var offset = 0
        while phase == .open, let header = GatewayHeader(decoding: bytes.extracting(offset..<bytes.count)) {
            let extStart = offset + GatewayHeader.byteCount
            let extEnd = extStart + Int(header.extLength)
            let end = offset + Int(header.packLength)
            let event = WorkerEvent(
                header: header, extData: bytes.extracting(extStart..<extEnd), body: bytes.extracting(extEnd..<end))
            offset = end
            core.handle(event, on: self)
        }
    }
}

/// A session this worker wrote for a client, until the gateway's events carry it.
struct PendingSessionWrite {
    /// What was written last.
    var latest: [UInt8]
    /// Sessions events may still carry because the gateway sent them before applying the write:
    /// the one the handled event carried and earlier writes.
    var stale: [[UInt8]]

    /// Most stale versions remembered per client.
    static let staleLimit = 8
}
