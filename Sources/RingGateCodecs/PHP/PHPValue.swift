/// A PHP value as `serialize`/`unserialize` see it (spec §9.1).
///
/// Strings are bytes (PHP strings are binary). Floats keep their token text so re-serialization is
/// byte-identical. Objects, enum cases and references are carried verbatim as `.opaque` tokens: the
/// gateway never needs their contents, only to pass them through (and to refuse to merge sessions
/// that contain references, §9.1).
public enum PHPValue: Hashable, Sendable {
    /// `N;`
    case null
    /// `b:0;` / `b:1;`
    case bool(Bool)
    /// `i:N;` (64-bit).
    case int(Int64)
    /// `d:text;`
    case float(PHPFloat)
    /// `s:len:"bytes";`
    case string([UInt8])
    /// `a:n:{…}`
    case array(PHPArray)
    /// An `O:`, `C:` or `E:` object or an `r:`/`R:` reference, kept as its exact serialized bytes.
    case opaque(PHPOpaqueValue)

    /// A string value from text (its UTF-8 bytes).
    public init(string text: String) {
        self = .string(Array(text.utf8))
    }

    /// The bytes of a `.string`, else nil.
    public var stringBytes: [UInt8]? {
        if case .string(let bytes) = self { return bytes }
        return nil
    }

    /// The array of an `.array`, else nil.
    public var arrayValue: PHPArray? {
        if case .array(let array) = self { return array }
        return nil
    }

    /// Whether an `r:`/`R:` reference token occurs anywhere in the value (including inside objects).
    ///
    /// References number earlier values in serialization order; merging or dropping entries would
    /// renumber them, so the gateway must not rewrite such a value (spec §9.1).
    public var containsReferences: Bool {
        var pending: [PHPValue] = [self]
        while let value = pending.popLast() {
            switch value {
            case .opaque(let token) where token.containsReferences: return true
            case .array(let array): pending.append(contentsOf: array.values)
            default: continue
            }
        }
        return false
    }
}

/// A PHP value the gateway carries without interpreting it: an object (`O:`), a custom-serialized
/// object (`C:`), an enum case (`E:`), or a reference (`r:` to an object, `R:` to any value).
public struct PHPOpaqueValue: Hashable, Sendable {
    /// Which form the token has.
    public enum Kind: Hashable, Sendable {
        /// `O:len:"Class":n:{…}`
        case object
        /// `C:len:"Class":len:{…}`
        case customObject
        /// `E:len:"Enum:Case";`
        case enumCase
        /// `r:N;`
        case objectReference
        /// `R:N;`
        case reference
    }

    /// Which form the token has.
    public var kind: Kind
    /// The exact serialized bytes, written back verbatim by the serializer.
    public var bytes: [UInt8]

    /// A token; `bytes` must be a complete serialization of the given kind.
    public init(kind: Kind, bytes: [UInt8]) {
        self.kind = kind
        self.bytes = bytes
    }

    /// Whether the token is, or (for an object) may contain, an `r:`/`R:` reference.
    public var containsReferences: Bool {
        switch kind {
        case .reference, .objectReference: return true
        case .customObject, .enumCase: return false
        case .object:
            // Conservative: a byte pair "r:"/"R:" inside an object body may be string content.
            for index in bytes.indices.dropLast()
            where (bytes[index] == UInt8(ascii: "r") || bytes[index] == UInt8(ascii: "R"))
                && bytes[index + 1] == UInt8(ascii: ":")
            {
                return true
            }
            return false
        }
    }
}

extension PHPValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `null`.
    public init(nilLiteral: ()) { self = .null }
    /// A bool.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An int.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// A float printed the way PHP's `serialize` prints it.
    public init(floatLiteral value: Double) { self = .float(PHPFloat(value)) }
    /// A string (UTF-8 bytes).
    public init(stringLiteral value: String) { self = .string(Array(value.utf8)) }
    /// A list under keys 0, 1, 2, ….
    public init(arrayLiteral elements: PHPValue...) { self = .array(PHPArray(list: elements)) }
    /// An ordered array; string keys are normalised like PHP's.
    public init(dictionaryLiteral elements: (PHPKey, PHPValue)...) {
        self = .array(PHPArray(elements.map { (key: $0.0, value: $0.1) }))
    }
}
