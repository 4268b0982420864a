/// Outbound side of a ``LengthFieldFraming``: the header written in front of a payload.
///
/// The encoder writes only the header, so the gateway can send the payload where it already is
/// (a worker packet's body) next to a few header bytes instead of copying it. When the framing keeps
/// its header (``LengthFieldFraming/stripHeader`` false), inbound messages are whole frames and the
/// worker is expected to send whole frames as well: the header is then zero bytes long and nothing
/// is written.
public enum LengthFieldEncoder {
    /// Why a payload cannot be framed: its length does not fit the length field.
    public struct EncodingError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The length of the payload that was refused.
        public var payloadLength: Int
        /// What does not fit, for the log line.
        public var reason: String

        /// An error for a payload of `payloadLength` bytes.
        public init(payloadLength: Int, reason: String) {
            self.payloadLength = payloadLength
            self.reason = reason
        }

        /// The log line: the length and what does not fit.
        public var description: String { "cannot frame \(payloadLength) bytes: \(reason)" }
    }

    /// The number of header bytes ``writeHeader(payloadLength:into:options:)`` writes.
    ///
    /// It is ``LengthFieldFraming/headerLength`` when the header is stripped inbound, else 0.
    public static func headerLength(payloadLength: Int, options: LengthFieldFraming) -> Int {
        options.stripHeader ? options.headerLength : 0
    }

    /// Writes the header of a `payloadLength`-byte payload at the start of `output`; returns its length.
    ///
    /// The prefix is ``LengthFieldFraming/outboundPrefix`` or zeros; the field value is the inverse
    /// of the adjustment, `payloadLength - lengthAdjustment`, so that a peer decoding with the same
    /// framing reads back exactly `payloadLength` bytes (workerman Frame: `length + 4`).
    /// `output` must have room for ``headerLength(payloadLength:options:)`` bytes.
    ///
    /// - Throws: ``EncodingError`` when the field value is negative or above the field width's maximum.
    public static func writeHeader(
        payloadLength: Int,
        into output: inout MutableSpan<UInt8>,
        options: LengthFieldFraming
    ) throws(EncodingError) -> Int {
        guard options.stripHeader else { return 0 }
        precondition(payloadLength >= 0, "a payload length is never negative")
        let headerLength = options.headerLength
        precondition(output.count >= headerLength, "output must have room for the length-field header")
        let (signedValue, overflow) = payloadLength.subtractingReportingOverflow(options.lengthAdjustment)
        guard !overflow, signedValue >= 0, UInt64(signedValue) <= options.lengthFieldWidth.maxValue else {
            throw EncodingError(
                payloadLength: payloadLength,
                reason: "length adjusted by \(options.lengthAdjustment) does not fit a "
                    + "\(options.lengthFieldWidth.rawValue)-byte length field"
            )
        }
        for index in 0..<options.lengthFieldOffset {
            output[index] = options.outboundPrefix.isEmpty ? 0 : options.outboundPrefix[index]
        }
        let value = UInt64(signedValue)
        let width = options.lengthFieldWidth.rawValue
        for byteIndex in 0..<width {
            let shift = UInt64(
                8 * (options.endianness == .big ? width - 1 - byteIndex : byteIndex)
            )
            output[options.lengthFieldOffset + byteIndex] = UInt8(truncatingIfNeeded: value >> shift)
        }
        return headerLength
    }

    /// Header ‖ `payload` as a new array, for paths where a copy does not matter (tests, tools).
    ///
    /// - Throws: ``EncodingError`` as ``writeHeader(payloadLength:into:options:)`` does.
    public static func encode(
        _ payload: Span<UInt8>,
        options: LengthFieldFraming
    ) throws(EncodingError) -> [UInt8] {
        let headerLength = headerLength(payloadLength: payload.count, options: options)
        var bytes = [UInt8](repeating: 0, count: headerLength)
        var header = bytes.mutableSpan
        _ = try writeHeader(payloadLength: payload.count, into: &header, options: options)
        bytes.reserveCapacity(headerLength + payload.count)
        for index in payload.indices { bytes.append(payload[index]) }
        return bytes
    }
}
