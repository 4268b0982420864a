/// Carrying a ``TextDecoder`` over a live takeover, in the middle of a line.
///
/// Layout (8 bytes): the bytes of the unfinished line seen so far, as a little-endian Int64.
extension TextDecoder {
    /// Bytes in a snapshot.
    public static let snapshotByteCount = 8

    /// The decoder's state in ``snapshotByteCount`` bytes.
    public var snapshotBytes: [UInt8] {
        var bytes: [UInt8] = []
        LittleEndianBytes.append(UInt64(bitPattern: Int64(lineLength)), byteCount: 8, to: &bytes)
        return bytes
    }

    /// The decoder a snapshot describes, or nil when it is not ``snapshotByteCount`` bytes or the line
    /// length is negative (which no decoder reaches: it only ever adds what it scanned).
    ///
    /// A line length at or above the listener's limit is a state decode handles: it throws
    /// ``ProtocolError/Kind/messageTooLarge`` on the next byte, as for a line that grew too long.
    public init?(snapshotBytes: Span<UInt8>) {
        guard snapshotBytes.count == Self.snapshotByteCount else { return nil }
        let value = Int64(bitPattern: LittleEndianBytes.read(snapshotBytes, at: 0, byteCount: 8))
        guard value >= 0, let length = Int(exactly: value) else { return nil }
        self.init()
        lineLength = length
    }
}
