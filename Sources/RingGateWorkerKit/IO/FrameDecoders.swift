import NIOCore
import RingGateCodecs

/// A frame longer than its decoder accepts; the connection is closed.
struct FrameTooLong: Error, CustomStringConvertible {
    var description: String
}

/// GatewayProtocol framing (spec §2): each frame is a run of whole packets, as many as arrived, so a
/// read that brought a hundred events costs one pipeline hop, not a hundred. Every header is validated as
/// soon as it arrived, so a malformed or oversized packet closes the connection before its bytes are
/// buffered.
struct GatewayPacketDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// Largest packet accepted (inclusive).
    let maxPackageLength: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let wholeByteCount = try Self.wholePacketByteCount(in: buffer, limit: maxPackageLength)
        guard wholeByteCount > 0, let packets = buffer.readSlice(length: wholeByteCount) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(packets))
        return .continue
    }

    /// Bytes of the whole packets at the start of `buffer`.
    static func wholePacketByteCount(in buffer: ByteBuffer, limit: Int) throws(GatewayProtocolError) -> Int {
        let bytes = buffer.readableBytesUInt8Span
        var wholeByteCount = 0
        while let header = GatewayHeader(decoding: bytes.extracting(wholeByteCount..<bytes.count)) {
            let packLength: Int
            do {
                packLength = try validatedLength(header, limit: limit)
            } catch {
                guard wholeByteCount > 0 else { throw error }
                break  // the packets before it are handled first; the next call throws
            }
            guard bytes.count - wholeByteCount >= packLength else { break }
            wholeByteCount += packLength
        }
        return wholeByteCount
    }

    /// `pack_len` of a well-formed header; throws for a malformed or oversized one.
    static func validatedLength(_ header: GatewayHeader, limit: Int) throws(GatewayProtocolError) -> Int {
        let packLength = Int(header.packLength)
        guard packLength >= GatewayHeader.byteCount else { throw .packageTooShort(packLength: header.packLength) }
        guard packLength <= limit else { throw .packageTooLarge(length: packLength, limit: limit) }
        guard header.bodyLength != nil else {
            throw .extLengthTooLarge(extLength: header.extLength, packLength: header.packLength)
        }
        return packLength
    }
}

/// Register framing (workerman Text, spec §6): one `\n`-terminated line per frame, without the `\n`.
/// A line longer than `maxLineLength` closes the connection.
struct RegisterLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let maxLineLength: Int
    /// Readable bytes already searched for a newline, so a long line is scanned once.
    private var scanned = 0

    init(maxLineLength: Int) {
        self.maxLineLength = maxLineLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let newline = view[(view.startIndex + scanned)...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = view.count
            if scanned > maxLineLength { throw FrameTooLong(description: "Register line longer than the limit") }
            return .needMoreData
        }
        scanned = 0
        let line = buffer.readSlice(length: newline - view.startIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

/// Query reply framing (spec §2.4): `u32 length ‖ payload`; each frame is one payload.
struct GatewayReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// Largest payload accepted.
    let maxReplyLength: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return .needMoreData
        }
        guard Int(length) <= maxReplyLength else {
            throw GatewayProtocolError.replyTooLarge(length: Int(length), limit: maxReplyLength)
        }
        guard buffer.readableBytes >= GatewayReply.prefixByteCount + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: GatewayReply.prefixByteCount)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}
