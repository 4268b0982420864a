/// How the server frames what it sends a connection.
public enum StreamFraming: String, Sendable, CaseIterable {
    /// RFC 6455 after an HTTP/1.1 Upgrade: unmasked server frames.
    case websocket
    /// Raw bytes; every `messageSize` bytes count as one message (fixed-size echo).
    case tcp
}

/// What a server sends one connection, parsed incrementally with a few integers of state: the
/// handshake response, then WebSocket frames (or fixed-size raw records). The first eight payload
/// bytes of every message are kept so a broadcast round number written there can be read back.
struct ServerStream {
    /// Bytes of the handshake response consumed; `handshakeDone` once "\r\n\r\n" was seen.
    private var handshakeBytes: UInt16 = 0
    private var terminatorMatched: UInt8 = 0
    private(set) var handshakeDone = false
    private var statusOK = true
    /// Frame header bytes collected so far and the header length this frame needs (2, 4 or 10).
    private var headerFill: UInt8 = 0
    private var headerNeed: UInt8 = 2
    private var header: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    )
    private var payloadRemaining: UInt64 = 0
    private var inPayload = false
    private var capture: UInt64 = 0
    private var captureFill: UInt8 = 0
    private var opcode: UInt8 = 0
    /// Raw framing: bytes received modulo the message size.
    private var rawFill: UInt32 = 0

    enum Event {
        case handshakeCompleted
        case handshakeFailed
        /// A complete data message; `prefix` holds its first eight payload bytes (little endian).
        case message(prefix: UInt64, prefixLength: UInt8)
        case closeFrame
        case ping
    }

    init(framing: StreamFraming) {
        handshakeDone = framing == .tcp
    }

    /// Feeds `bytes`, reporting each event in order.
    @inline(__always)
    mutating func consume(
        _ bytes: UnsafeRawBufferPointer, framing: StreamFraming, messageSize: Int, _ event: (Event) -> Void
    ) {
        var index = 0
        let count = bytes.count
        if framing == .tcp {
            let total = Int(rawFill) + count
            for _ in 0..<(total / messageSize) { event(.message(prefix: 0, prefixLength: 0)) }
            rawFill = UInt32(total % messageSize)
            return
        }
        if !handshakeDone {
            while index < count {
                let byte = bytes[index]
                index += 1
                // "HTTP/1.1 101": bytes 9...11 are the status code.
                switch handshakeBytes {
                case 9: statusOK = statusOK && byte == UInt8(ascii: "1")
                case 10: statusOK = statusOK && byte == UInt8(ascii: "0")
                case 11: statusOK = statusOK && byte == UInt8(ascii: "1")
                default: break
                }
                if handshakeBytes < 60_000 { handshakeBytes += 1 }
                let expected: UInt8 = terminatorMatched % 2 == 0 ? 13 : 10
                if byte == expected {
                    terminatorMatched += 1
                } else {
                    terminatorMatched = byte == 13 ? 1 : 0
                }
                if terminatorMatched == 4 {
                    handshakeDone = true
                    if !statusOK {
                        event(.handshakeFailed)
                        return
                    }
                    event(.handshakeCompleted)
                    break
                }
            }
            if !handshakeDone { return }
        }
        while index < count {
            if !inPayload {
                let byte = bytes[index]
                index += 1
                withUnsafeMutableBytes(of: &header) { $0[Int(headerFill)] = byte }
                headerFill += 1
                if headerFill == 2 {
                    let length = byte & 0x7F
                    headerNeed = length == 126 ? 4 : length == 127 ? 10 : 2
                }
                guard headerFill == headerNeed else { continue }
                startPayload()
                if payloadRemaining == 0 { finishFrame(event) }
                continue
            }
            let take = Int(min(UInt64(count - index), payloadRemaining))
            if captureFill < 8 {
                let captured = min(take, Int(8 - captureFill))
                for offset in 0..<captured {
                    capture |= UInt64(bytes[index + offset]) << (8 * UInt64(captureFill + UInt8(offset)))
                }
                captureFill += UInt8(captured)
            }
            index += take
            payloadRemaining -= UInt64(take)
            if payloadRemaining == 0 { finishFrame(event) }
        }
    }

    private mutating func startPayload() {
        let length: UInt64 = withUnsafeBytes(of: &header) { raw in
            switch headerNeed {
            case 4: return UInt64(raw[2]) << 8 | UInt64(raw[3])
            case 10: return (2..<10).reduce(UInt64(0)) { $0 << 8 | UInt64(raw[$1]) }
            default: return UInt64(raw[1] & 0x7F)
            }
        }
        opcode = header.0 & 0x0F
        payloadRemaining = length
        inPayload = true
        capture = 0
        captureFill = 0
    }

    private mutating func finishFrame(_ event: (Event) -> Void) {
        inPayload = false
        headerFill = 0
        headerNeed = 2
        switch opcode {
        case 0x8: event(.closeFrame)
        case 0x9: event(.ping)
        case 0xA: break
        default:
            // Continuation frames of a fragmented message count once, on the final fragment.
            if header.0 & 0x80 != 0 { event(.message(prefix: capture, prefixLength: captureFill)) }
        }
    }
}

/// The bytes a client sends: the Upgrade request and masked frames (all-zero mask key, which RFC 6455
/// allows and which leaves the payload as it is, so one precomputed frame serves every connection).
enum ClientWire {
    static let upgradeRequest: [UInt8] = Array(
        ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8)

    /// One message of `payloadSize` bytes as the client sends it.
    static func message(payloadSize: Int, framing: StreamFraming) -> [UInt8] {
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: payloadSize)
        guard framing == .websocket else { return payload }
        var frame: [UInt8] = [0x82]
        if payloadSize < 126 {
            frame.append(0x80 | UInt8(payloadSize))
        } else if payloadSize <= 0xFFFF {
            frame += [0x80 | 126, UInt8(payloadSize >> 8), UInt8(payloadSize & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payloadSize >> shift) & 0xFF)) }
        }
        return frame + [0, 0, 0, 0] + payload
    }
}
