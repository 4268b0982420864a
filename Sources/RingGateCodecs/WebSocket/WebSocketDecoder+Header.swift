extension WebSocketDecoder {
    /// Position of the next byte in a frame. Both extended-length forms end on a stage of their own,
    /// so the header length (which workerman counts toward its limit) needs no extra field.
    enum Stage {
        static let firstByte: UInt8 = 0
        static let secondByte: UInt8 = 1
        /// Stages 2–3: the 16-bit extended length; it is complete when stage 4 is reached.
        static let length16: UInt8 = 2
        /// Stages 4–11: the 64-bit extended length; it is complete when stage 12 is reached.
        static let length64: UInt8 = 4
        /// Stages 12–15: the masking key.
        static let maskKey: UInt8 = 12
        /// Payload bytes of the current frame.
        static let payload: UInt8 = 16
    }

    /// Bits of `frameBits` above the 4-bit opcode (where the first header byte has its RSV bits,
    /// which are checked and dropped).
    enum FrameBits {
        static let opcodeMask: UInt8 = 0x0F
        static let masked: UInt8 = 0x10
        static let fin: UInt8 = 0x80
    }

    /// Bits of `messageBits`.
    enum MessageBits {
        static let opcodeMask: UInt8 = 0x03
        static let inProgress: UInt8 = 0x04
    }

    /// The opcode of the frame being decoded (validated when its first byte was read).
    var frameOpcode: WebSocketOpcode {
        guard let opcode = WebSocketOpcode(rawValue: frameBits & FrameBits.opcodeMask) else {
            preconditionFailure("frame opcode is validated before it is stored")
        }
        return opcode
    }

    /// Reads one header byte into the decoder's fields; on the last one, moves to `Stage.payload`.
    mutating func consumeHeaderByte(_ byte: UInt8, options: Options) throws(ProtocolError) {
        switch stage {
        case Stage.firstByte:
            try readFirstByte(byte, options: options)
        case Stage.secondByte:
            try readSecondByte(byte, options: options)
        case Stage.length16..<Stage.maskKey:
            if stage == Stage.length64 && byte & 0x80 != 0 && options.enforcesFraming {
                throw .webSocketLengthTopBitSet  // §5.2: "the most significant bit MUST be 0"
            }
            frameRemaining = frameRemaining << 8 | UInt64(byte)
            stage &+= 1
            if stage == Stage.length64 {
                try lengthKnown(headerLength: 4, options: options)
            } else if stage == Stage.maskKey {
                try lengthKnown(headerLength: 10, options: options)
            }
        default:
            maskKey = maskKey << 8 | UInt32(byte)  // first key byte ends up on top
            stage &+= 1
        }
    }

    /// FIN, RSV and opcode (RFC 6455 §5.2), and the message sequencing rules of §5.4.
    private mutating func readFirstByte(_ byte: UInt8, options: Options) throws(ProtocolError) {
        guard let opcode = WebSocketOpcode(rawValue: byte & FrameBits.opcodeMask) else {
            throw .webSocketReservedOpcode  // 3–7, 0xB–0xF: workerman closes too
        }
        let isFin = byte & FrameBits.fin != 0
        if options.enforcesFraming {
            if byte & 0x70 != 0 { throw .webSocketReservedBits }
            if opcode.isControl && !isFin { throw .webSocketFragmentedControl }
            if opcode == .continuation && !isMessageInProgress { throw .webSocketUnexpectedContinuation }
            if (opcode == .text || opcode == .binary) && isMessageInProgress { throw .webSocketInterleavedMessage }
        }
        frameBits = byte & (FrameBits.fin | FrameBits.opcodeMask)
        if !opcode.isControl && !isMessageInProgress {
            // A new data message. (Leniently, a stray continuation starts one too.)
            let messageOpcode = opcode == .continuation ? WebSocketOpcode.binary : opcode
            messageBits = messageOpcode.rawValue | MessageBits.inProgress
            messageLength = 0
            utf8.reset()
        }
        stage = Stage.secondByte
    }

    /// MASK and the 7-bit payload length.
    private mutating func readSecondByte(_ byte: UInt8, options: Options) throws(ProtocolError) {
        let isMasked = byte & 0x80 != 0
        if !isMasked && options.requireMasking { throw .webSocketUnmaskedFrame }
        if isMasked { frameBits |= FrameBits.masked }
        let length = byte & 0x7F
        if frameOpcode.isControl && length > 125 { throw .webSocketControlTooLong }  // §5.5
        maskKey = 0
        frameRemaining = 0
        switch length {
        case 126: stage = Stage.length16
        case 127: stage = Stage.length64
        default:
            frameRemaining = UInt64(length)
            try lengthKnown(headerLength: 2, options: options)
        }
    }

    /// The payload length is known: check the message limit, then read the key or the payload.
    private mutating func lengthKnown(headerLength: UInt64, options: Options) throws(ProtocolError) {
        let isMasked = frameBits & FrameBits.masked != 0
        if !frameOpcode.isControl {
            // Capped at UInt32.max so the running total fits the record's 32 bits.
            let limit = min(UInt64(clamping: options.maxMessageLength), UInt64(UInt32.max))
            var used = UInt64(messageLength)  // <= limit: every earlier frame passed this check
            if options.limitIncludesFrameHeaders { used &+= headerLength &+ (isMasked ? 4 : 0) }
            guard used <= limit && frameRemaining <= limit &- used else { throw .webSocketMessageTooLarge }
            messageLength = UInt32(UInt64(messageLength) + frameRemaining)  // <= limit, checked above
        }
        stage = isMasked ? Stage.maskKey : Stage.payload
    }
}

extension WebSocketOpcode {
    /// Close, ping and pong (opcodes with the high bit set, RFC 6455 §5.5).
    var isControl: Bool { rawValue & 0x08 != 0 }
}
