/// Something that can be sent to clients: bytes or text.
///
/// Gateways forward message bytes verbatim into the client protocol (a WebSocket text frame by
/// default), so text goes out as its UTF-8 bytes. Conforming types append themselves straight into a
/// connection's output, without an intermediate array.
public protocol GatewayMessage: Sendable {
    /// Number of bytes `appendGatewayBytes` appends.
    var gatewayByteCount: Int { get }
    /// Appends the message bytes to `buffer`.
    func appendGatewayBytes(to buffer: inout [UInt8])
}

extension Array: GatewayMessage where Element == UInt8 {
    /// The byte count.
    public var gatewayByteCount: Int { count }
    /// Appends the bytes.
    public func appendGatewayBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: self) }
}

extension ArraySlice: GatewayMessage where Element == UInt8 {
    /// The byte count.
    public var gatewayByteCount: Int { count }
    /// Appends the bytes.
    public func appendGatewayBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: self) }
}

extension String: GatewayMessage {
    /// The UTF-8 byte count.
    public var gatewayByteCount: Int { utf8.count }
    /// Appends the UTF-8 bytes.
    public func appendGatewayBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
}

extension Substring: GatewayMessage {
    /// The UTF-8 byte count.
    public var gatewayByteCount: Int { utf8.count }
    /// Appends the UTF-8 bytes.
    public func appendGatewayBytes(to buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
}
