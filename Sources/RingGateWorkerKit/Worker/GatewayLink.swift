import RingGateCodecs

/// A worker connection (spec §5.6): the one connection a worker keeps to each gateway. Its first
/// packet is CMD_WORKER_CONNECT (queued before the connect completes, like PHP); then it carries
/// events in and commands out.
final class GatewayLink: LoopConnection {
    let core: WorkerCore
    private var assembler: GatewayPacketAssembler
    /// Sessions this worker wrote that the gateway has not echoed back yet, by connection id.
    var pendingSessions: [UInt32: PendingSessionWrite] = [:]

    init(core: WorkerCore, endpoint: IPv4Endpoint) {
        self.core = core
        self.assembler = GatewayPacketAssembler(maxPackageLength: core.configuration.maxPackageLength)
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
        guard pendingOutboundByteCount < core.configuration.maxSendBufferByteCount else {
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

    override func didClose(_ reason: CloseReason) {
        pendingSessions.removeAll()
        core.linkDidClose(self, reason: reason)
    }

    /// Frames the received bytes into packets and hands each to the worker as it completes.
    ///
    /// While nothing is buffered, whole packets are decoded straight from the received bytes (the usual
    /// case: many events per read), and only a trailing partial packet is copied into the assembler.
    override func didReceive(_ bytes: Span<UInt8>) {
        var offset = 0
        if assembler.bufferedByteCount == 0 {
            while phase == .open, let header = GatewayHeader(decoding: bytes.extracting(offset..<bytes.count)) {
                let packLength = Int(header.packLength)
                guard header.bodyLength != nil, packLength <= assembler.maxPackageLength,
                    bytes.count - offset >= packLength
                else { break }  // incomplete, or malformed: the assembler reports it below
                let extEnd = offset + GatewayHeader.byteCount + Int(header.extLength)
                let event = WorkerEvent(
                    header: header, extData: bytes.extracting((offset + GatewayHeader.byteCount)..<extEnd),
                    body: bytes.extracting(extEnd..<(offset + packLength)))
                offset += packLength
                core.handle(event, on: self)
            }
        }
        guard phase == .open else { return }
        if offset < bytes.count { assembler.append(bytes.extracting(offset..<bytes.count)) }
        while phase == .open {
            let layout: GatewayPacketLayout
            do {
                guard let next = try assembler.peekPacket() else { return }
                layout = next
            } catch {
                core.statistics.protocolErrors += 1
                core.logger.error("bad packet from gateway", metadata: ["gateway": "\(endpoint)", "error": "\(error)"])
                return close(.protocolError(error.description))
            }
            let event = assembler.withContents(of: layout) { extData, body in
                WorkerEvent(header: layout.header, extData: extData, body: body)
            }
            assembler.consume(layout)
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
