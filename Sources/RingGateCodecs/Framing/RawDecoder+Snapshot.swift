/// Carrying a ``RawDecoder`` over a live takeover: it has no state, so its snapshot is empty.
extension RawDecoder {
    /// Bytes in a snapshot: none.
    public static let snapshotByteCount = 0

    /// The decoder's state: no bytes.
    public var snapshotBytes: [UInt8] { [] }

    /// The decoder a snapshot describes; nil unless the snapshot is empty.
    public init?(snapshotBytes: Span<UInt8>) {
        guard snapshotBytes.count == Self.snapshotByteCount else { return nil }
        self.init()
    }
}
