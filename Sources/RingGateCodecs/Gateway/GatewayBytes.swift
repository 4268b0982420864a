/// Big-endian integer reads and writes shared by the GatewayProtocol codecs.
///
/// Every multi-byte integer on the gateway's wires is unsigned big-endian (spec §0). Reads take the
/// offset explicitly and are bounds-checked by `Span`'s subscript; callers check the length first.
enum GatewayBytes {
    /// Reads a big-endian `UInt16` at `offset`.
    static func uint16(_ bytes: borrowing Span<UInt8>, at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    /// Reads a big-endian `UInt32` at `offset`.
    static func uint32(_ bytes: borrowing Span<UInt8>, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    /// Appends `value` as two big-endian bytes.
    static func append(_ value: UInt16, to buffer: inout [UInt8]) {
        buffer.append(UInt8(truncatingIfNeeded: value >> 8))
        buffer.append(UInt8(truncatingIfNeeded: value))
    }

    /// Appends `value` as four big-endian bytes.
    static func append(_ value: UInt32, to buffer: inout [UInt8]) {
        buffer.append(UInt8(truncatingIfNeeded: value >> 24))
        buffer.append(UInt8(truncatingIfNeeded: value >> 16))
        buffer.append(UInt8(truncatingIfNeeded: value >> 8))
        buffer.append(UInt8(truncatingIfNeeded: value))
    }

    /// Appends every byte of `bytes` in one copy.
    ///
    /// `Array` has no safe bulk append from a `Span` (Swift 6.3), and the element-wise loop this replaced
    /// was 0.7% of a gateway's CPU (every byte a worker sends passes here). The buffer pointer lives only
    /// for the copy; `append(contentsOf:)` grows the capacity geometrically.
    static func append(_ bytes: borrowing Span<UInt8>, to buffer: inout [UInt8]) {
        unsafe bytes.withUnsafeBufferPointer { source in unsafe buffer.append(contentsOf: source) }
    }
}

extension Array where Element == UInt8 {
    /// A copy of `bytes`.
    public init(copying bytes: borrowing Span<UInt8>) {
        self.init()
        GatewayBytes.append(bytes, to: &self)
    }
}
