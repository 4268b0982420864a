/// Builds the frames a server sends (RFC 6455 §5.2): never masked (§5.1), never fragmented, FIN set.
///
/// The gateway writes the header in front of a payload it already holds (`writeHeader`), so a
/// broadcast is one header plus the shared payload; `frame(opcode:payload:)` builds whole frames for
/// control replies and tests.
public enum WebSocketFrameEncoder {
    /// Largest header a server frame needs: 2 bytes + a 64-bit extended length.
    public static let maxHeaderLength = 10

    /// Header bytes for a payload of `payloadLength` bytes: 2 up to 125, 4 up to 65 535, else 10.
    public static func headerLength(payloadLength: Int) -> Int {
        precondition(payloadLength >= 0, "payload length must not be negative")
        if payloadLength <= 125 { return 2 }
        if payloadLength <= 0xFFFF { return 4 }
        return 10
    }

    /// Writes the header of an unmasked FIN frame at the start of `header` and returns its length.
    ///
    /// 0–125 go in the second byte, 126–65 535 as `126` + u16 big-endian, longer payloads as
    /// `127` + u64 big-endian (RFC 6455 §5.2; workerman writes the same bytes). `header` must hold
    /// at least `headerLength(payloadLength:)` bytes.
    public static func writeHeader(
        opcode: WebSocketOpcode,
        payloadLength: Int,
        into header: inout MutableSpan<UInt8>
    ) -> Int {
        let length = headerLength(payloadLength: payloadLength)
        precondition(header.count >= length, "header span too small for the frame header")
        header[0] = 0x80 | opcode.rawValue
        switch length {
        case 2:
            header[1] = UInt8(truncatingIfNeeded: payloadLength)
        case 4:
            header[1] = 126
            header[2] = UInt8(truncatingIfNeeded: payloadLength >> 8)
            header[3] = UInt8(truncatingIfNeeded: payloadLength)
        default:
            header[1] = 127
            let value = UInt64(payloadLength)
            for index in 0..<8 {
                header[2 + index] = UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64(index)))
            }
        }
        return length
    }

    /// A whole frame: header and `payload`. Ping replies echo the ping's payload as a pong
    /// (`89 82 …"pp"` → `8a 02 70 70`, spec §8.3).
    public static func frame(opcode: WebSocketOpcode, payload: Span<UInt8>) -> [UInt8] {
        let length = headerLength(payloadLength: payload.count)
        var bytes = [UInt8](repeating: 0, count: length)
        bytes.reserveCapacity(length + payload.count)
        var header = bytes.mutableSpan
        _ = writeHeader(opcode: opcode, payloadLength: payload.count, into: &header)
        for index in payload.indices { bytes.append(payload[index]) }
        return bytes
    }

    /// A whole frame: header and `payload`.
    public static func frame(opcode: WebSocketOpcode, payload: [UInt8]) -> [UInt8] {
        frame(opcode: opcode, payload: payload.span)
    }
}
