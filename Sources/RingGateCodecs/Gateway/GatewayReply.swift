/// Reply framing for query commands (spec §2.4): `u32 BE length N ‖ N bytes of PHP-serialized value`.
///
/// Replies are not GatewayProtocol packets: no header, no command. They are written in request order
/// on the connection the query arrived on, and callers may pipeline several queries.
public enum GatewayReply {
    /// Bytes of the length prefix.
    public static let prefixByteCount = 4

    /// Appends one framed reply carrying `payload` to `buffer`.
    ///
    /// `payload` is produced by the gateway's own serializer, so an empty payload (PHP callers would
    /// wait forever for it) or one beyond 4 GiB is a programming error, not a peer's.
    public static func encode(payload: borrowing Span<UInt8>, into buffer: inout [UInt8]) {
        precondition(!payload.isEmpty, "a reply payload is a serialization and never empty (§2.4)")
        precondition(payload.count <= Int(UInt32.max), "a reply payload fits the u32 length prefix")
        GatewayBytes.append(UInt32(payload.count), to: &buffer)
        GatewayBytes.append(payload, to: &buffer)
    }

    /// One framed reply carrying `payload`.
    public static func encoded(payload: [UInt8]) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(prefixByteCount + payload.count)
        encode(payload: payload.span, into: &buffer)
        return buffer
    }
}

/// Reassembles length-prefixed query replies (spec §2.4) from a gateway connection's byte stream, for
/// the worker kit and GatewayClient.
///
/// Like `GatewayPacketAssembler` it holds only bytes that arrived and validates the length as soon as
/// the 4-byte prefix is buffered. PHP's readers have no limit; `maxReplyLength` exists so a broken or
/// hostile gateway cannot make a client buffer without bound.
public struct GatewayReplyAssembler: Sendable {
    /// Default `maxReplyLength`: large, because GET_ALL_CLIENT_SESSIONS on a big gateway is large.
    public static let defaultMaxReplyLength = 1 << 30

    /// Largest accepted payload length (inclusive).
    public let maxReplyLength: Int
    private var queue: GatewayByteQueue

    /// An empty assembler.
    public init(
        maxReplyLength: Int = GatewayReplyAssembler.defaultMaxReplyLength,
        retainedCapacity: Int = GatewayPacketAssembler.defaultRetainedCapacity
    ) {
        self.maxReplyLength = maxReplyLength
        self.queue = GatewayByteQueue(retainedCapacity: retainedCapacity)
    }

    /// Bytes received and not yet consumed.
    public var bufferedByteCount: Int { queue.count }

    /// Adds received bytes.
    public mutating func append(_ bytes: borrowing Span<UInt8>) {
        queue.append(bytes)
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: [UInt8]) {
        queue.append(bytes.span)
    }

    /// The next complete reply's payload, consumed, or nil until all its bytes arrived.
    ///
    /// A zero length (never produced by PHP) yields an empty payload, which unserializes to PHP
    /// false. Throws `.replyTooLarge` once a prefix above `maxReplyLength` is buffered.
    public mutating func nextReply() throws(GatewayProtocolError) -> [UInt8]? {
        guard let payload = try peekReply() else { return nil }
        queue.consume(GatewayReply.prefixByteCount + payload.count)
        return payload
    }

    private func peekReply() throws(GatewayProtocolError) -> [UInt8]? {
        let storage = queue.storage.span
        let live = storage.extracting(queue.readIndex..<storage.count)
        guard live.count >= GatewayReply.prefixByteCount else { return nil }
        let length = Int(GatewayBytes.uint32(live, at: 0))
        guard length <= maxReplyLength else { throw .replyTooLarge(length: length, limit: maxReplyLength) }
        guard live.count - GatewayReply.prefixByteCount >= length else { return nil }
        var payload: [UInt8] = []
        GatewayBytes.append(
            live.extracting(GatewayReply.prefixByteCount..<(GatewayReply.prefixByteCount + length)), to: &payload)
        return payload
    }
}
