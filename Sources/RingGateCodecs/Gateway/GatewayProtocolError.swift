/// Why bytes on an inner (worker / GatewayClient) connection were refused (spec §2.2).
///
/// Every case means the stream can no longer be framed: the gateway logs peer and reason, counts the
/// case under `metricLabel`, and closes that inner connection. PHP misparses the first two silently;
/// RingGate closes instead.
public enum GatewayProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `pack_len` is smaller than the 28 header bytes it includes.
    case packageTooShort(packLength: UInt32)
    /// `ext_len` claims more bytes than `pack_len − 28` leaves.
    case extLengthTooLarge(extLength: UInt32, packLength: UInt32)
    /// A packet (received or about to be encoded) is longer than the configured limit
    /// (10 485 760 by default, inclusive).
    case packageTooLarge(length: Int, limit: Int)
    /// A query reply (§2.4) is longer than the reader's limit.
    case replyTooLarge(length: Int, limit: Int)

    /// A stable label for metrics.
    public var metricLabel: String {
        switch self {
        case .packageTooShort: "package_too_short"
        case .extLengthTooLarge: "ext_length_too_large"
        case .packageTooLarge: "package_too_large"
        case .replyTooLarge: "reply_too_large"
        }
    }

    /// The same refusal as the module-wide `ProtocolError`, for code that handles every codec alike.
    public var protocolError: ProtocolError {
        switch self {
        case .packageTooShort, .extLengthTooLarge: ProtocolError(.invalidLength, reason: description)
        case .packageTooLarge, .replyTooLarge: ProtocolError(.messageTooLarge, closeCode: 1009, reason: description)
        }
    }

    /// One line for the log.
    public var description: String {
        switch self {
        case .packageTooShort(let packLength):
            "pack_len \(packLength) is below the 28-byte header"
        case .extLengthTooLarge(let extLength, let packLength):
            "ext_len \(extLength) exceeds pack_len \(packLength) minus the 28-byte header"
        case .packageTooLarge(let length, let limit):
            "package of \(length) bytes exceeds the limit of \(limit)"
        case .replyTooLarge(let length, let limit):
            "reply of \(length) bytes exceeds the limit of \(limit)"
        }
    }
}
