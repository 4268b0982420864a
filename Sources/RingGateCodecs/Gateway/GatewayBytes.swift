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

    /// Appends every byte of `bytes`.
    ///
    /// `Array` has no safe bulk append from a `Span`; this grows the capacity geometrically (an
    /// exact `reserveCapacity` per call would make many small appends quadratic) and copies
    /// element-wise, which the optimiser turns into a plain copy loop.
    static func append(_ bytes: borrowing Span<UInt8>, to buffer: inout [UInt8]) {
        let needed = buffer.count + bytes.count
        if buffer.capacity < needed { buffer.reserveCapacity(max(needed, buffer.capacity * 2)) }
        for index in bytes.indices { buffer.append(bytes[index]) }
    }
}

extension Array where Element == UInt8 {
    /// A copy of `bytes`.
    public init(copying bytes: borrowing Span<UInt8>) {
        self.init()
        GatewayBytes.append(bytes, to: &self)
    }
}
