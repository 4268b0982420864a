/// A PHP array key: an integer or a binary-safe byte string (spec §9.3).
///
/// PHP stores the string `"123"` and the integer `123` as the same key, so every way of making a key
/// from a string goes through `init(normalizing:)`; `.string` holds only non-canonical strings when
/// built that way. Keys are emitted as `i:N;` or `s:len:"…";` and compared by case and value.
public enum PHPKey: Hashable, Sendable {
    /// An integer key.
    case int(Int64)
    /// A string key that is not a canonical decimal integer.
    case string([UInt8])

    /// The key PHP uses for the string `bytes`: an integer iff `bytes` is a canonical decimal
    /// integer (optional `-`, no leading zero except `"0"`, no `+`, no spaces, within `Int64`, not
    /// `"-0"`), else the string itself. This is PHP's `ZEND_HANDLE_NUMERIC_STR`.
    public init(normalizing bytes: [UInt8]) {
        if let value = Self.canonicalInteger(bytes.span) {
            self = .int(value)
        } else {
            self = .string(bytes)
        }
    }

    /// The key PHP uses for the string `text` (see `init(normalizing:)` for bytes).
    public init(normalizing text: String) {
        self.init(normalizing: Array(text.utf8))
    }

    /// The integer a canonical decimal string denotes, or nil when PHP keeps it a string key.
    public static func canonicalInteger(_ bytes: borrowing Span<UInt8>) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        let negative = bytes[0] == UInt8(ascii: "-")
        let first = negative ? 1 : 0
        let digitCount = bytes.count - first
        guard digitCount >= 1, digitCount <= 19 else { return nil }
        if bytes[first] == UInt8(ascii: "0") && bytes.count > 1 { return nil }  // "05", "-0", "-05"
        var magnitude: UInt64 = 0
        for index in first..<bytes.count {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            magnitude = magnitude * 10 + UInt64(byte - UInt8(ascii: "0"))  // 19 digits cannot overflow
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// The key PHP derives from a float: truncated toward zero; NaN and ±infinity give 0 and finite
    /// values outside `Int64` wrap modulo 2⁶⁴ (PHP's `zend_dval_to_lval` on 64-bit).
    public init(truncating value: Double) {
        guard value.isFinite else {
            self = .int(0)
            return
        }
        if value >= -9_223_372_036_854_775_808.0 && value < 9_223_372_036_854_775_808.0 {
            self = .int(Int64(value))  // conversion truncates toward zero
            return
        }
        // |value| ≥ 2⁶³ is an integer: (2⁵² + fraction) × 2^(exponent − 52). Keep its low 64 bits.
        // (Done on the bits because this module links no libm for fmod.)
        let shift = Int(value.exponent) - 52
        let mantissa = UInt64(1) << 52 | value.significandBitPattern
        let low = shift >= 64 ? 0 : mantissa << UInt64(shift)
        self = .int(Int64(bitPattern: value < 0 ? 0 &- low : low))
    }

    /// The key as bytes of text: decimal for integers, the string itself otherwise. This is what PHP
    /// gives for `(string)$key`, e.g. when a uid key is reported back as a value.
    public var textBytes: [UInt8] {
        switch self {
        case .int(let value): Array(String(value).utf8)
        case .string(let bytes): bytes
        }
    }
}

extension PHPKey: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    /// An integer key.
    public init(integerLiteral value: Int64) {
        self = .int(value)
    }

    /// A key normalised like PHP does for `['5' => …]`: canonical integer strings become integers.
    public init(stringLiteral value: String) {
        self.init(normalizing: value)
    }
}
