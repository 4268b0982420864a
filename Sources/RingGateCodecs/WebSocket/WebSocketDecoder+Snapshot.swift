/// Carrying a ``WebSocketDecoder`` over a live takeover, in the middle of a frame or message.
///
/// Layout (20 bytes, little-endian): bytes 0–7 `frameRemaining`, 8–11 `messageLength`, 12–15
/// `maskKey` (rotated to the current mask phase), 16 `stage`, 17 `frameBits`, 18 `messageBits`,
/// 19 the UTF-8 automaton state.
extension WebSocketDecoder {
    /// Bytes in a snapshot.
    public static let snapshotByteCount = 20

    /// The decoder's state in ``snapshotByteCount`` bytes.
    public var snapshotBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.snapshotByteCount)
        LittleEndianBytes.append(frameRemaining, byteCount: 8, to: &bytes)
        LittleEndianBytes.append(UInt64(messageLength), byteCount: 4, to: &bytes)
        LittleEndianBytes.append(UInt64(maskKey), byteCount: 4, to: &bytes)
        bytes.append(stage)
        bytes.append(frameBits)
        bytes.append(messageBits)
        bytes.append(utf8.state)
        return bytes
    }

    /// The decoder a snapshot describes, or nil when no frame sequence can put a decoder there (see
    /// ``isReachable``): a corrupt or hostile snapshot must never reach `decode`, whose table lookups,
    /// opcode reads and range arithmetic rely on these invariants.
    public init?(snapshotBytes: Span<UInt8>) {
        guard snapshotBytes.count == Self.snapshotByteCount,
            let utf8 = UTF8Validator(snapshotState: snapshotBytes[19])
        else { return nil }
        self.init()
        frameRemaining = LittleEndianBytes.read(snapshotBytes, at: 0, byteCount: 8)
        messageLength = UInt32(truncatingIfNeeded: LittleEndianBytes.read(snapshotBytes, at: 8, byteCount: 4))
        maskKey = UInt32(truncatingIfNeeded: LittleEndianBytes.read(snapshotBytes, at: 12, byteCount: 4))
        stage = snapshotBytes[16]
        frameBits = snapshotBytes[17]
        messageBits = snapshotBytes[18]
        self.utf8 = utf8
        guard isReachable else { return nil }
    }

    /// Whether the fields hold a state that `decode` reaches between two inputs.
    ///
    /// - Only known bits are set; the frame's opcode is a known one (`frameOpcode` traps otherwise) and
    ///   the message's is none, text or binary; a message in progress has a type.
    /// - The UTF-8 state is mid-character only inside a text message in progress.
    /// - A data frame past its first byte belongs to a message in progress.
    /// - First and second byte: no payload counted yet; the second byte has not read the mask bit.
    /// - Extended length: only for data frames (control payloads are at most 125), and no more length
    ///   bytes folded than were read.
    /// - Masking key: the frame is masked and no more key bytes folded than were read.
    /// - Key and payload: a control frame has at most 125 bytes left (the caller's control buffer is
    ///   sized for that); a data frame no more than its message counted; an unmasked frame has no key.
    /// - Payload: at least one byte left (an empty payload is reported as soon as the header ends).
    var isReachable: Bool {
        guard stage <= Stage.payload, frameBits & ~(FrameBits.fin | FrameBits.masked | FrameBits.opcodeMask) == 0,
            let opcode = WebSocketOpcode(rawValue: frameBits & FrameBits.opcodeMask),
            messageBits & ~(MessageBits.opcodeMask | MessageBits.inProgress) == 0,
            messageBits & MessageBits.opcodeMask <= WebSocketOpcode.binary.rawValue,
            !isMessageInProgress || messageOpcode != nil
        else { return false }
        if !utf8.isComplete && !(isMessageInProgress && messageOpcode == .text) { return false }
        let isMasked = frameBits & FrameBits.masked != 0
        if stage != Stage.firstByte && !opcode.isControl && !isMessageInProgress { return false }
        switch stage {
        case Stage.firstByte:
            // A data frame with FIN that has ended also ended its message.
            let endedMessage = !opcode.isControl && frameBits & FrameBits.fin != 0
            return frameRemaining == 0 && !(endedMessage && isMessageInProgress)
        case Stage.secondByte:
            return frameRemaining == 0 && !isMasked
        case Stage.length16..<Stage.length64:
            return !opcode.isControl && LittleEndianBytes.fits(frameRemaining, inByteCount: Int(stage - Stage.length16))
        case Stage.length64..<Stage.maskKey:
            return !opcode.isControl && LittleEndianBytes.fits(frameRemaining, inByteCount: Int(stage - Stage.length64))
        default:
            let keyBytes = stage == Stage.payload ? 4 : Int(stage - Stage.maskKey)
            guard isMasked ? LittleEndianBytes.fits(UInt64(maskKey), inByteCount: keyBytes) : maskKey == 0,
                isMasked || stage == Stage.payload,
                stage != Stage.payload || frameRemaining > 0
            else { return false }
            return opcode.isControl ? frameRemaining <= 125 : frameRemaining <= UInt64(messageLength)
        }
    }
}
