/// Little-endian integer reads and writes for the live-takeover state format.
///
/// The takeover format is read and written only by ringgate binaries on the same machine, so it uses
/// the machine's own (little-endian) order, unlike the gateway wires, which are big-endian (spec §0).
/// Reads take the offset explicitly and are bounds-checked by `Span`'s subscript; callers check the
/// length first.
enum LittleEndianBytes {
    /// Appends the low `byteCount` bytes of `value`, least significant first.
    static func append(_ value: UInt64, byteCount: Int, to buffer: inout [UInt8]) {
        for index in 0..<byteCount { buffer.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    /// Reads `byteCount` (at most 8) bytes at `offset`, least significant first.
    static func read(_ bytes: borrowing Span<UInt8>, at offset: Int, byteCount: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<byteCount { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        return value
    }

    /// Whether `value` fits in `byteCount` bytes (it is below 2^(8 × byteCount)).
    static func fits(_ value: UInt64, inByteCount byteCount: Int) -> Bool {
        byteCount >= 8 || value >> (8 * UInt64(byteCount)) == 0
    }
}
