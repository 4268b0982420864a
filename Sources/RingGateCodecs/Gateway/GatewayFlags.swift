/// The `flag` byte of a GatewayProtocol header (spec §2.3).
///
/// Bits other than the two named ones are never set by PHP and ignored by it; they are kept as
/// received so a packet re-encodes byte for byte.
public struct GatewayFlags: OptionSet, Hashable, Sendable {
    /// The byte as it appears on the wire.
    public var rawValue: UInt8

    /// Wraps any flag byte, including unknown bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `FLAG_BODY_IS_SCALAR` (0x01): the body is raw bytes. When clear the body is a PHP
    /// serialization that the receiver must unserialize (`N;` for a kick without message).
    public static let bodyIsScalar = GatewayFlags(rawValue: 0x01)

    /// `FLAG_NOT_CALL_ENCODE` (0x02): write the body to the client verbatim, bypassing the client
    /// protocol's encoder. Only honoured for sends (cmds 5, 6, 14, 22).
    public static let notCallEncode = GatewayFlags(rawValue: 0x02)
}
