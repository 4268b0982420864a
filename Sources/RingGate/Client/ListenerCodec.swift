import RingGateCodecs
import RingGateRuntime

/// A listener's framing, ready to use: decoder options built once, the decoder a new connection
/// starts with, and the outbound encoding.
final class ListenerCodec {
    let framing: ListenerConfiguration.Framing
    let webSocketOptions: WebSocketDecoder.Options
    let headOptions: HTTPHeadDecoder.Options
    let textOptions: TextFraming
    let rawOptions = RawFraming()
    let lengthField: LengthFieldFraming
    let outgoingOpcode: WebSocketOpcode
    /// Frames take the opcode of the client's last data message (`FrameType.mirror`).
    let mirrorsOpcode: Bool
    let strictWebSocket: Bool
    /// Answers plain HTTP requests when the listener serves a page (`WebSocketListenerOptions.httpPage`).
    let pageResponder: HTTPPageResponder?

    init(_ configuration: ListenerConfiguration) {
        framing = configuration.framing
        let strict = configuration.webSocket.compliance == .rfc6455
        strictWebSocket = strict
        var webSocket = strict ? WebSocketDecoder.Options.rfc6455 : WebSocketDecoder.Options.workerman
        webSocket.maxMessageLength = configuration.maxPackageLength
        webSocketOptions = webSocket
        var head = HTTPHeadDecoder.Options()
        head.maxHeadLength = configuration.webSocket.maxHeadLength
        // Other methods must reach the page responder to get their 405.
        head.acceptsAnyMethod = configuration.webSocket.httpPage != nil
        headOptions = head
        pageResponder = configuration.webSocket.httpPage.map(HTTPPageResponder.init(page:))
        textOptions = TextFraming(maxMessageLength: configuration.maxPackageLength)
        switch configuration.framing {
        case .lengthField(let custom): lengthField = custom
        default:
            let frame = LengthFieldFraming.workermanFrame
            lengthField =
                (try? LengthFieldFraming(
                    lengthFieldOffset: frame.lengthFieldOffset, lengthFieldWidth: frame.lengthFieldWidth,
                    endianness: frame.endianness, lengthAdjustment: frame.lengthAdjustment,
                    stripHeader: frame.stripHeader, maxFrameLength: max(configuration.maxPackageLength, 4),
                    minFrameLength: frame.minFrameLength)) ?? frame
        }
        outgoingOpcode = configuration.webSocket.outgoingFrameType == .binary ? .binary : .text
        mirrorsOpcode = configuration.webSocket.outgoingFrameType == .mirror
    }

    var initialDecoder: ClientDecoderState {
        switch framing {
        case .webSocket: return .httpHead(HTTPHeadDecoder())
        case .text: return .text(TextDecoder())
        case .frame, .lengthField: return .lengthField(LengthFieldDecoder())
        case .tcp: return .raw(RawDecoder())
        }
    }

    var holdsOutputUntilHandshake: Bool {
        if case .webSocket = framing { return true }
        return false
    }

    /// One decode step with the connection's current decoder.
    func decode(_ state: inout ClientDecoderState, _ input: inout MutableSpan<UInt8>, from offset: Int)
        throws(ProtocolError)
        -> DecodeStep
    {
        switch state {
        case .httpHead(var decoder):
            defer { state = .httpHead(decoder) }
            return try decoder.decode(input.span, from: offset, options: headOptions)
        case .webSocket(var decoder):
            defer { state = .webSocket(decoder) }
            return try decoder.decode(&input, from: offset, options: webSocketOptions)
        case .text(var decoder):
            defer { state = .text(decoder) }
            return try decoder.decode(&input, from: offset, options: textOptions)
        case .lengthField(var decoder):
            defer { state = .lengthField(decoder) }
            return try decoder.decode(&input, from: offset, options: lengthField)
        case .raw(var decoder):
            defer { state = .raw(decoder) }
            return try decoder.decode(&input, from: offset, options: rawOptions)
        }
    }

    /// Bytes of a message as the application sees it (Text strips trailing CR/LF from the whole line).
    func deliveredLength(of message: Span<UInt8>) -> Int {
        if case .text = framing { return TextDecoder.trimmedLength(of: message) }
        return message.count
    }

    /// Bytes needed to encode a `payloadLength`-byte message.
    func encodedLength(payloadLength: Int) -> Int {
        switch framing {
        case .webSocket: return WebSocketFrameEncoder.headerLength(payloadLength: payloadLength) + payloadLength
        case .text: return payloadLength + 1
        case .frame, .lengthField:
            return LengthFieldEncoder.headerLength(payloadLength: payloadLength, options: lengthField) + payloadLength
        case .tcp: return payloadLength
        }
    }

    /// Encodes `payload` framed for the client into a new chunk (one reference, owned by the caller), or
    /// nil when the framing cannot carry it (a length field too narrow for its size) or the heap refused
    /// the memory (counted by the pool): the message is dropped.
    func encode(_ payload: Span<UInt8>, opcode: WebSocketOpcode?, chunks: ChunkPool) -> Chunk? {
        guard let chunk = chunks.tryAllocate(capacity: encodedLength(payloadLength: payload.count)) else { return nil }
        var offset = 0
        switch framing {
        case .webSocket:
            offset = chunks.withMutableBytes(chunk) { output in
                WebSocketFrameEncoder.writeHeader(
                    opcode: opcode ?? outgoingOpcode, payloadLength: payload.count, into: &output)
            }
        case .frame, .lengthField:
            let written = chunks.withMutableBytes(chunk) { output in
                try? LengthFieldEncoder.writeHeader(payloadLength: payload.count, into: &output, options: lengthField)
            }
            guard let written else {
                chunks.release(chunk)
                return nil
            }
            offset = written
        case .text, .tcp:
            break
        }
        chunks.setLength(offset, of: chunk)
        chunks.write(payload, to: chunk, at: offset)
        if case .text = framing {
            chunks.write(Self.newline.span, to: chunk, at: offset + payload.count)
        }
        return chunk
    }

    private static let newline: [UInt8] = [UInt8(ascii: "\n")]
}
