/// Streaming decoder for the frames a WebSocket client sends (RFC 6455 §5).
///
/// The decoder is a few integers kept in the connection's record; it never holds payload bytes.
/// Each call reads header bytes into its fields, unmasks payload in place in the caller's buffer
/// and reports where the payload lies, so a message that arrives whole in one buffer is delivered
/// as one range of that buffer, with no copy. The caller assembles messages (and control payloads,
/// at most 125 bytes) that span several buffers.
///
/// ```swift
/// var offset = 0
/// loop: while true {
///     let step = try decoder.decode(&buffer, from: offset, options: listener.webSocketOptions)
///     offset = step.nextOffset
///     switch step.event {
///     case .messageBytes(let range, let isMessageEnd): deliver(range, isMessageEnd)
///     case .controlBytes(let range, let opcode, let isFrameEnd): control(opcode, range, isFrameEnd)
///     case .needMoreInput: break loop
///     }
/// }
/// ```
///
/// After `decode` throws, the connection must be closed (with the error's close code); the decoder
/// is not meant to be used again.
public struct WebSocketDecoder: Equatable, Sendable {
    // Layout: 8 + 4 + 4 + 4 × 1 = 20 bytes (see `WebSocketDecoderTests.layoutIsSmall`), so that the
    // connection record holding it is 56 bytes.

    /// Payload bytes still to come in the current frame; while the header is read, the extended
    /// length accumulated so far.
    var frameRemaining: UInt64 = 0
    /// Payload bytes announced so far for the data message in progress (all its frames' lengths);
    /// never above the message limit, which is capped at `UInt32.max` (4 GiB − 1).
    var messageLength: UInt32 = 0
    /// Masking key, rotated so its top byte applies to the next payload byte (the mask phase).
    var maskKey: UInt32 = 0
    /// Where in the frame the next byte goes (`Stage`).
    var stage: UInt8 = Stage.firstByte
    /// The current frame: opcode in the low 4 bits, `FrameBits.masked`, `FrameBits.fin`.
    var frameBits: UInt8 = 0
    /// The data message: its opcode in the low 2 bits (0 = none yet), `MessageBits.inProgress`.
    var messageBits: UInt8 = 0
    /// UTF-8 state of the text message in progress.
    var utf8 = UTF8Validator()

    /// A decoder at the start of a frame, with no message in progress.
    public init() {}

    /// Text or binary: the type of the data message in progress, or of the one just completed, so
    /// that an echo can keep the frame type. `nil` before the first data frame.
    ///
    /// A message that a lenient decoder saw start with a continuation frame reports `.binary`.
    public var messageOpcode: WebSocketOpcode? {
        let raw = messageBits & MessageBits.opcodeMask
        return raw == 0 ? nil : WebSocketOpcode(rawValue: raw)
    }

    /// Whether a data message has started and its final fragment has not yet ended.
    public var isMessageInProgress: Bool { messageBits & MessageBits.inProgress != 0 }

    /// Decodes `input` from `offset` up to the next event, and returns it with the offset to continue
    /// from. Call again until it returns `.needMoreInput`.
    ///
    /// - `.messageBytes(range, isMessageEnd:)`: unmasked payload of a text, binary or continuation
    ///   frame; `isMessageEnd` when a FIN frame's payload ends with it. A single-frame message that
    ///   lies whole in `input` is one event. Empty frames give an empty range.
    /// - `.controlBytes(range, opcode:, isFrameEnd:)`: unmasked payload of a ping, pong or close
    ///   frame (possibly interleaved between a fragmented message's frames, which it does not
    ///   disturb).
    /// - `.needMoreInput`: every byte from `offset` was consumed; header bytes were kept in the
    ///   decoder's fields.
    ///
    /// Payload is unmasked in place, so `input` must not be decoded twice from the same offset.
    /// Throws `ProtocolError` with the RFC 6455 close code to send (1002, 1007 or 1009).
    public mutating func decode(
        _ input: inout MutableSpan<UInt8>,
        from offset: Int,
        options: Options
    ) throws(ProtocolError) -> DecodeStep {
        precondition(offset >= 0 && offset <= input.count, "decode offset must lie within the input")
        var index = offset
        while stage != Stage.payload {
            guard index < input.count else { return DecodeStep(.needMoreInput, nextOffset: index) }
            try consumeHeaderByte(input[index], options: options)
            index &+= 1
        }
        return try payloadStep(&input, from: index, options: options)
    }

    /// Delivers the payload bytes of the current frame that lie in `input` from `index`.
    private mutating func payloadStep(
        _ input: inout MutableSpan<UInt8>,
        from index: Int,
        options: Options
    ) throws(ProtocolError) -> DecodeStep {
        let available = input.count &- index
        let take = frameRemaining < UInt64(available) ? Int(frameRemaining) : available
        if take == 0 && frameRemaining != 0 { return DecodeStep(.needMoreInput, nextOffset: index) }

        let range = index..<(index &+ take)
        if frameBits & FrameBits.masked != 0 { unmask(&input, range) }
        frameRemaining &-= UInt64(take)
        let isFrameEnd = frameRemaining == 0
        if isFrameEnd { stage = Stage.firstByte }

        let opcode = frameOpcode
        if opcode.isControl {
            return DecodeStep(
                .controlBytes(range, opcode: opcode, isFrameEnd: isFrameEnd), nextOffset: range.upperBound)
        }

        let validatesText =
            options.validateUTF8 && messageBits & MessageBits.opcodeMask == WebSocketOpcode.text.rawValue
        if validatesText && !utf8.validate(input.span, in: range) { throw .webSocketInvalidUTF8 }
        let isMessageEnd = isFrameEnd && frameBits & FrameBits.fin != 0
        if isMessageEnd {
            if validatesText && !utf8.isComplete { throw .webSocketTruncatedUTF8 }
            messageBits &= ~MessageBits.inProgress
        }
        return DecodeStep(.messageBytes(range, isMessageEnd: isMessageEnd), nextOffset: range.upperBound)
    }

    /// XORs `input[range]` with the masking key (RFC 6455 §5.3) and advances the mask phase.
    private mutating func unmask(_ input: inout MutableSpan<UInt8>, _ range: Range<Int>) {
        let key = maskKey
        let key0 = UInt8(truncatingIfNeeded: key >> 24)
        let key1 = UInt8(truncatingIfNeeded: key >> 16)
        let key2 = UInt8(truncatingIfNeeded: key >> 8)
        let key3 = UInt8(truncatingIfNeeded: key)
        var index = range.lowerBound
        let end = range.upperBound
        while end &- index >= 4 {
            input[index] ^= key0
            input[index &+ 1] ^= key1
            input[index &+ 2] ^= key2
            input[index &+ 3] ^= key3
            index &+= 4
        }
        var rotated = key
        while index < end {
            input[index] ^= UInt8(truncatingIfNeeded: rotated >> 24)
            rotated = rotated << 8 | rotated >> 24
            index &+= 1
        }
        maskKey = rotated
    }
}
