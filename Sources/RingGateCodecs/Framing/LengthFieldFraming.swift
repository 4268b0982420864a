/// Per-listener description of a length-prefixed binary framing, for custom client protocols.
///
/// A frame is `prefix ‖ length field ‖ rest`:
/// - `prefix` is ``lengthFieldOffset`` bytes the decoder does not interpret (a magic, a type, …);
/// - the length field is an unsigned integer of ``lengthFieldWidth`` bytes in ``endianness`` order;
/// - `rest` is `fieldValue + lengthAdjustment` bytes: everything that follows the length field.
///
/// These are the semantics of Netty's `LengthFieldBasedFrameDecoder` with `initialBytesToStrip`
/// either 0 (``stripHeader`` false) or the header length (``stripHeader`` true):
/// `frameLength = lengthFieldOffset + lengthFieldWidth + fieldValue + lengthAdjustment`.
/// Common shapes:
/// - the field counts only the bytes after it: `lengthAdjustment = 0`;
/// - the field counts the whole frame, itself included (workerman Frame): `lengthAdjustment = -headerLength`;
/// - the field counts a payload that is followed by `n` more bytes (a checksum): `lengthAdjustment = n`.
///
/// Being a declarative value, a new custom protocol is configuration, not code. It is kept apart from
/// ``LengthFieldDecoder`` so the per-connection decoder holds only integers.
public struct LengthFieldFraming: Equatable, Sendable {
    /// Byte order of the length field.
    public enum Endianness: Equatable, Sendable {
        /// Most significant byte first (network order).
        case big
        /// Least significant byte first.
        case little
    }

    /// Size of the length field.
    ///
    /// An enum, so that widths the decoder cannot fold into a 64-bit value are unrepresentable.
    public enum FieldWidth: Int, Equatable, Sendable, CaseIterable {
        /// A `u8`, lengths up to 255.
        case one = 1
        /// A `u16`, lengths up to 65 535.
        case two = 2
        /// A `u32`.
        case four = 4
        /// A `u64`; values above `Int.max` are always refused as too large.
        case eight = 8

        /// The largest value a field of this width can carry.
        public var maxValue: UInt64 {
            self == .eight ? .max : (1 << (8 * UInt64(rawValue))) - 1
        }
    }

    /// Why a framing description was refused. Configuration mistakes are reported at startup, once,
    /// instead of trapping or misframing every connection.
    public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
        /// What is wrong, naming the setting and its value.
        public var reason: String

        /// An error with the given reason.
        public init(reason: String) { self.reason = reason }

        /// The startup message: which setting is wrong and why.
        public var description: String { "invalid length-field framing: \(reason)" }
    }

    /// The largest supported ``lengthFieldOffset``; it bounds the header a decoder has to count.
    public static let maxLengthFieldOffset = 64
    /// workerman's package limit (spec §7.4), the default ``maxFrameLength``.
    public static let defaultMaxFrameLength = 10_485_760

    /// Bytes before the length field, `0...64`.
    public let lengthFieldOffset: Int
    /// Size of the length field.
    public let lengthFieldWidth: FieldWidth
    /// Byte order of the length field.
    public let endianness: Endianness
    /// Added to the field value to get the number of bytes that follow the length field; may be
    /// negative (the field counts the header too) or positive (bytes after the counted payload).
    public let lengthAdjustment: Int
    /// `true`: a message is the bytes after the length field (prefix and field are dropped).
    /// `false`: a message is the whole frame, and outbound messages are expected to be whole frames
    /// already, built by the worker, so ``LengthFieldEncoder`` writes no header for them.
    public let stripHeader: Bool
    /// Frames longer than this, header included, are refused with
    /// ``ProtocolError/Kind/messageTooLarge`` as soon as the length field is read.
    public let maxFrameLength: Int
    /// Frames shorter than this, header included, are refused with ``ProtocolError/Kind/invalidLength``.
    public let minFrameLength: Int
    /// The bytes written before the length field of outbound frames: empty (zeros) or exactly
    /// ``lengthFieldOffset`` bytes, for protocols whose prefix is a fixed magic or type.
    public let outboundPrefix: [UInt8]

    /// Bytes from the start of a frame to the end of its length field.
    public var headerLength: Int { lengthFieldOffset + lengthFieldWidth.rawValue }

    /// A framing description, checked for consistency.
    ///
    /// - Throws: ``ConfigurationError`` when `lengthFieldOffset` is outside `0...64`,
    ///   `maxFrameLength` is below the header length, `minFrameLength` is outside
    ///   `0...maxFrameLength`, or `outboundPrefix` is neither empty nor `lengthFieldOffset` bytes long.
    public init(
        lengthFieldOffset: Int = 0,
        lengthFieldWidth: FieldWidth,
        endianness: Endianness = .big,
        lengthAdjustment: Int = 0,
        stripHeader: Bool = true,
        maxFrameLength: Int = LengthFieldFraming.defaultMaxFrameLength,
        minFrameLength: Int = 0,
        outboundPrefix: [UInt8] = []
    ) throws(ConfigurationError) {
        guard (0...Self.maxLengthFieldOffset).contains(lengthFieldOffset) else {
            throw ConfigurationError(reason: "lengthFieldOffset \(lengthFieldOffset) is outside 0...64")
        }
        let headerLength = lengthFieldOffset + lengthFieldWidth.rawValue
        guard maxFrameLength >= headerLength else {
            throw ConfigurationError(
                reason: "maxFrameLength \(maxFrameLength) is below the header length \(headerLength)"
            )
        }
        guard (0...maxFrameLength).contains(minFrameLength) else {
            throw ConfigurationError(reason: "minFrameLength \(minFrameLength) is outside 0...\(maxFrameLength)")
        }
        guard outboundPrefix.isEmpty || outboundPrefix.count == lengthFieldOffset else {
            throw ConfigurationError(
                reason: "outboundPrefix has \(outboundPrefix.count) bytes, lengthFieldOffset is \(lengthFieldOffset)"
            )
        }
        self.lengthFieldOffset = lengthFieldOffset
        self.lengthFieldWidth = lengthFieldWidth
        self.endianness = endianness
        self.lengthAdjustment = lengthAdjustment
        self.stripHeader = stripHeader
        self.maxFrameLength = maxFrameLength
        self.minFrameLength = minFrameLength
        self.outboundPrefix = outboundPrefix
    }

    /// workerman's Frame protocol (`frame://`, spec §8.2): `u32 BE total_length ‖ payload`, where
    /// `total_length` counts its own 4 bytes; the message is the payload.
    ///
    /// `total_length` 4 is an empty message; above 10 485 760 is ``ProtocolError/Kind/messageTooLarge``
    /// (workerman destroys the connection); below 4 is ``ProtocolError/Kind/invalidLength`` (workerman
    /// stalls or desynchronises there; RingGate closes). Outbound: `u32 BE (length + 4) ‖ message`.
    public static let workermanFrame = try! LengthFieldFraming(
        lengthFieldOffset: 0,
        lengthFieldWidth: .four,
        endianness: .big,
        lengthAdjustment: -4,
        stripHeader: true,
        maxFrameLength: defaultMaxFrameLength
    )
}
