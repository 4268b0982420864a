/// Carrying an ``HTTPHeadDecoder`` over a live takeover, in the middle of a request head.
///
/// Layout (10 bytes, little-endian):
/// - bytes 0–7: head bytes seen so far (Int64);
/// - byte 8: how much of `\r\n\r\n` the last bytes matched (0–3);
/// - byte 9: 1 when the method was checked completely, else 0.
extension HTTPHeadDecoder {
    /// Bytes in a snapshot.
    public static let snapshotByteCount = 10

    /// The decoder's state in ``snapshotByteCount`` bytes.
    public var snapshotBytes: [UInt8] {
        var bytes: [UInt8] = []
        LittleEndianBytes.append(UInt64(bitPattern: Int64(headLength)), byteCount: 8, to: &bytes)
        bytes.append(terminatorMatched)
        bytes.append(methodChecked ? 1 : 0)
        return bytes
    }

    /// The decoder a snapshot describes, or nil when no request can put a decoder there: a negative
    /// length; a terminator match of 4 or more (the head ends at 4 and the decoder resets); an unchecked
    /// method longer than the longest method or already followed by CR/LF; a checked method within the
    /// first two bytes (a method letter and at least `T` or a space come first), or a terminator match
    /// reaching back into them.
    ///
    /// A length at or above the listener's head limit is a state decode handles: it throws
    /// ``ProtocolError/Kind/headTooLarge`` on the next byte.
    public init?(snapshotBytes: Span<UInt8>) {
        guard snapshotBytes.count == Self.snapshotByteCount else { return nil }
        let value = Int64(bitPattern: LittleEndianBytes.read(snapshotBytes, at: 0, byteCount: 8))
        let matched = snapshotBytes[8]
        guard value >= 0, let length = Int(exactly: value), matched <= 3 else { return nil }
        switch snapshotBytes[9] {
        case 0: guard length <= Self.maxMethodLength, matched == 0 else { return nil }
        case 1: guard length >= 2, Int(matched) <= length - 2 else { return nil }
        default: return nil
        }
        self.init()
        headLength = length
        terminatorMatched = matched
        methodChecked = snapshotBytes[9] == 1
    }
}
