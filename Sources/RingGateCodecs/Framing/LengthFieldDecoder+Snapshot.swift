/// Carrying a ``LengthFieldDecoder`` over a live takeover, in the middle of a frame.
///
/// Layout (10 bytes, little-endian):
/// - byte 0: the phase, 0 = reading the header, 1 = reading the body;
/// - bytes 1–8: header: the length value folded so far; body: the bytes of the frame still to come;
/// - byte 9: header: how many header bytes were seen; body: 0.
extension LengthFieldDecoder {
    /// Bytes in a snapshot.
    public static let snapshotByteCount = 10

    /// The longest header any ``LengthFieldFraming`` has: the largest prefix and an 8-byte field.
    static let maxHeaderLength = LengthFieldFraming.maxLengthFieldOffset + LengthFieldFraming.FieldWidth.eight.rawValue

    /// The decoder's state in ``snapshotByteCount`` bytes.
    public var snapshotBytes: [UInt8] {
        var bytes: [UInt8] = []
        switch phase {
        case .header(let fieldValue, let bytesSeen):
            bytes.append(0)
            LittleEndianBytes.append(fieldValue, byteCount: 8, to: &bytes)
            bytes.append(bytesSeen)
        case .body(let remaining):
            bytes.append(1)
            LittleEndianBytes.append(UInt64(remaining), byteCount: 8, to: &bytes)
            bytes.append(0)
        }
        return bytes
    }

    /// The decoder a snapshot describes, or nil when it is not a state any framing puts a decoder in:
    /// an unknown phase, a header position at or past the longest header, a folded value with more
    /// bytes than the header had, or a body with nothing (or less than nothing) left — the decoder
    /// leaves the body phase the moment its last byte arrives, and a negative rest would make it
    /// report a range that ends before it starts.
    ///
    /// Checks that need the listener's framing (the header position against its header length, the
    /// rest against its frame limit) are in ``isConsistent(with:)``.
    public init?(snapshotBytes: Span<UInt8>) {
        guard snapshotBytes.count == Self.snapshotByteCount else { return nil }
        let value = LittleEndianBytes.read(snapshotBytes, at: 1, byteCount: 8)
        let position = snapshotBytes[9]
        self.init()
        switch snapshotBytes[0] {
        case 0:
            guard Int(position) < Self.maxHeaderLength, LittleEndianBytes.fits(value, inByteCount: Int(position))
            else { return nil }
            phase = .header(fieldValue: value, bytesSeen: position)
        case 1:
            guard position == 0, value > 0, let remaining = Int(exactly: value) else { return nil }
            phase = .body(remaining: remaining)
        default:
            return nil
        }
    }

    /// Whether a decoder driven with `options` can be in this state: in the header, fewer bytes seen
    /// than the header has and no more length bytes folded than were seen; in the body, no more left
    /// than the frame limit allows after a header. A restored decoder that fails this would wait
    /// forever for a header it has already passed, or expect a frame longer than the listener accepts.
    public func isConsistent(with options: LengthFieldFraming) -> Bool {
        switch phase {
        case .header(let fieldValue, let bytesSeen):
            let fieldBytesSeen = max(0, Int(bytesSeen) - options.lengthFieldOffset)
            return Int(bytesSeen) < options.headerLength
                && LittleEndianBytes.fits(fieldValue, inByteCount: fieldBytesSeen)
        case .body(let remaining):
            return remaining <= options.maxFrameLength - options.headerLength
        }
    }
}
