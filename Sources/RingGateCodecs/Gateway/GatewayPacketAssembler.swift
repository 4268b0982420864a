/// Where one complete packet lies in a `GatewayPacketAssembler`'s buffer.
///
/// Valid until the next `append` or `consume` on the assembler that produced it.
public struct GatewayPacketLayout: Hashable, Sendable {
    /// The decoded, validated header.
    public var header: GatewayHeader
    /// Bytes of the whole packet (equals `header.packLength`).
    public var byteCount: Int
    /// ext_data, relative to the first byte of the packet.
    public var extRange: Range<Int>
    /// Body, relative to the first byte of the packet.
    public var bodyRange: Range<Int>
}

/// Reassembles GatewayProtocol packets from an inner connection's byte stream (spec §2.2).
///
/// Bytes are appended as they arrive; packets are found in place, so a packet is delivered without a
/// per-packet allocation: `peekPacket()` returns its layout, `withContents(of:_:)` lends ext and body
/// as spans, `consume(_:)` drops it. A packet split across any number of appends and many packets in
/// one append are both normal (workers pipeline). `nextPacket()` is the copying convenience.
///
/// A header is validated as soon as its 28 bytes are buffered, before the rest arrives: `pack_len`
/// below 28, `ext_len` beyond `pack_len − 28` and `pack_len` above `maxPackageLength` throw, and the
/// caller closes the connection. The buffer only ever holds bytes that arrived; a header claiming
/// 10 MiB reserves nothing.
public struct GatewayPacketAssembler: Sendable {
    /// workerman's `defaultMaxPackageSize`, the PHP Gateway's receive limit (inclusive).
    public static let defaultMaxPackageLength = 10_485_760
    /// Buffer capacity kept across packets; more is released when the buffer drains.
    public static let defaultRetainedCapacity = 65_536

    /// Largest accepted `pack_len` (inclusive). May change between packets (a gateway raises it once
    /// a link authenticated).
    public var maxPackageLength: Int
    private var queue: GatewayByteQueue

    /// An empty assembler. `maxPackageLength` is inclusive: a packet of exactly that length is
    /// accepted, like PHP.
    public init(
        maxPackageLength: Int = GatewayPacketAssembler.defaultMaxPackageLength,
        retainedCapacity: Int = GatewayPacketAssembler.defaultRetainedCapacity
    ) {
        self.maxPackageLength = maxPackageLength
        self.queue = GatewayByteQueue(retainedCapacity: retainedCapacity)
    }

    /// Bytes received and not yet consumed.
    public var bufferedByteCount: Int { queue.count }

    /// Current capacity of the internal buffer, for tests and memory metrics.
    public var bufferCapacity: Int { queue.capacity }

    /// Adds received bytes. Invalidates layouts returned earlier.
    public mutating func append(_ bytes: borrowing Span<UInt8>) {
        queue.append(bytes)
    }

    /// Adds received bytes. Invalidates layouts returned earlier.
    public mutating func append(_ bytes: [UInt8]) {
        queue.append(bytes.span)
    }

    /// The next complete packet's layout, or nil until all its bytes arrived. Does not consume it.
    ///
    /// Throws as soon as a buffered header is malformed or too long; the stream cannot be resynchronised
    /// after that, so the caller closes the connection (calling again throws the same error).
    public func peekPacket() throws(GatewayProtocolError) -> GatewayPacketLayout? {
        let storage = queue.storage.span
        let live = storage.extracting(queue.readIndex..<storage.count)
        guard let header = GatewayHeader(decoding: live) else { return nil }
        let packLength = Int(header.packLength)
        guard packLength >= GatewayHeader.byteCount else { throw .packageTooShort(packLength: header.packLength) }
        guard packLength <= maxPackageLength else {
            throw .packageTooLarge(length: packLength, limit: maxPackageLength)
        }
        guard let bodyLength = header.bodyLength else {
            throw .extLengthTooLarge(extLength: header.extLength, packLength: header.packLength)
        }
        guard live.count >= packLength else { return nil }
        let extEnd = GatewayHeader.byteCount + Int(header.extLength)
        return GatewayPacketLayout(
            header: header, byteCount: packLength, extRange: GatewayHeader.byteCount..<extEnd,
            bodyRange: extEnd..<(extEnd + bodyLength))
    }

    /// Lends the ext_data and body of the packet at `layout` (as returned by the latest
    /// `peekPacket()`) without copying them.
    public func withContents<Result, Failure: Error>(
        of layout: GatewayPacketLayout,
        _ body: (_ extData: Span<UInt8>, _ body: Span<UInt8>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let storage = queue.storage.span
        let start = queue.readIndex
        let extData = storage.extracting((start + layout.extRange.lowerBound)..<(start + layout.extRange.upperBound))
        let payload = storage.extracting(
            (start + layout.bodyRange.lowerBound)..<(start + layout.bodyRange.upperBound))
        return try body(extData, payload)
    }

    /// Drops the packet at `layout`, which must be the one the latest `peekPacket()` returned.
    public mutating func consume(_ layout: GatewayPacketLayout) {
        queue.consume(layout.byteCount)
    }

    /// The next complete packet, copied out and consumed, or nil until all its bytes arrived.
    ///
    /// Throws like `peekPacket()`.
    public mutating func nextPacket() throws(GatewayProtocolError) -> GatewayPacket? {
        guard let layout = try peekPacket() else { return nil }
        let packet = withContents(of: layout) { extData, body in
            GatewayPacket(header: layout.header, extData: Self.copy(extData), body: Self.copy(body))
        }
        consume(layout)
        return packet
    }

    private static func copy(_ bytes: Span<UInt8>) -> [UInt8] {
        var result: [UInt8] = []
        GatewayBytes.append(bytes, to: &result)
        return result
    }
}
