/// PHP `unserialize` with classes disallowed (spec §9.1), hardened for bytes from the network.
///
/// Accepts exactly what PHP accepts and returns nil where PHP returns `false` (empty or invalid
/// input); bytes after a complete value are ignored. `i:` takes a leading `+` and saturates beyond
/// 64 bits, `b:` takes only 0/1, `d:` keeps its token text, keys are `i:`, `s:` (or `S:`) and
/// canonical-integer string keys become integer keys, a duplicate key's later value wins in the
/// first one's position. `S:` strings are decoded; `O:`, `C:`, `E:`, `r:` and `R:` are validated as
/// PHP does (including reference numbers) and kept verbatim as `.opaque`.
///
/// Hostile input never traps: the parser is iterative (nesting costs heap, not stack), nesting is
/// bounded by `maxDepth` like PHP's `unserialize_max_depth`, at most `maxBytes` bytes are examined,
/// and no length or count from the input is used to allocate before it was checked against the
/// bytes that remain.
public enum PHPUnserializer {
    /// PHP's `unserialize_max_depth` default.
    public static let defaultMaxDepth = 4096
    /// The largest input examined by default: nothing larger fits in a GatewayProtocol packet.
    public static let defaultMaxBytes = GatewayPacketAssembler.defaultMaxPackageLength

    /// The value serialized at the start of `bytes`, or nil (PHP `false`).
    ///
    /// - Parameters:
    ///   - maxDepth: most arrays/objects nested inside each other (PHP: 4096); empty arrays do not count.
    ///   - maxBytes: only this many leading bytes are examined; a value needing more is invalid.
    public static func unserialize(
        _ bytes: borrowing Span<UInt8>, maxDepth: Int = defaultMaxDepth, maxBytes: Int = defaultMaxBytes
    ) -> PHPValue? {
        parsePrefix(bytes, maxDepth: maxDepth, maxBytes: maxBytes)?.value
    }

    /// The value serialized at the start of `bytes`, or nil (PHP `false`).
    public static func unserialize(
        _ bytes: [UInt8], maxDepth: Int = defaultMaxDepth, maxBytes: Int = defaultMaxBytes
    ) -> PHPValue? {
        unserialize(bytes.span, maxDepth: maxDepth, maxBytes: maxBytes)
    }

    /// The value at the start of `bytes` and how many bytes it took, or nil.
    public static func parsePrefix(
        _ bytes: borrowing Span<UInt8>, maxDepth: Int = defaultMaxDepth, maxBytes: Int = defaultMaxBytes
    ) -> (value: PHPValue, byteCount: Int)? {
        let input = bytes.extracting(0..<min(bytes.count, max(maxBytes, 0)))
        var parser = PHPUnserializeParser(maxDepth: maxDepth)
        return parser.run(input)
    }
}
