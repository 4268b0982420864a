import RingGateCodecs

/// A uid or group id as PHP's `Lib\Gateway` accepts it: an integer or a string.
///
/// The gateway treats `"42"` and `42` as the same id (PHP key normalisation, spec §7.7), but the JSON
/// lists PHP writes keep the difference (`sendToUid([42, 'u2'])` sends `[42,"u2"]`), so the kit keeps
/// it too and produces PHP's bytes. Literals work directly: `"room-1"`, `42`, `"user-\(id)"`.
public enum GatewayID: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringInterpolation,
    ExpressibleByIntegerLiteral
{
    /// An integer id (JSON number).
    case int(Int64)
    /// A string id (JSON string).
    case string(String)

    /// A string id.
    public init(_ text: String) { self = .string(text) }

    /// An integer id.
    public init(_ value: some BinaryInteger) { self = .int(Int64(value)) }

    /// A string id.
    public init(stringLiteral value: String) { self = .string(value) }

    /// An integer id.
    public init(integerLiteral value: Int64) { self = .int(value) }

    /// The id as PHP's string conversion prints it (what goes into ext_data).
    public var description: String {
        switch self {
        case .int(let value): String(value)
        case .string(let text): text
        }
    }

    /// Whether PHP's `empty()` is true for it (`""`, `"0"`, `0`): such groups are refused by the
    /// library and such uids/groups are never written into ext_data.
    var isPHPEmpty: Bool {
        switch self {
        case .int(let value): value == 0
        case .string(let text): text.isEmpty || text == "0"
        }
    }

    /// The id as `json_encode` writes it.
    var json: JSONValue {
        switch self {
        case .int(let value): .number(JSONNumber(value))
        case .string(let text): .string(text)
        }
    }

    /// The PHP array key the id becomes (`"42"` → 42), for de-duplication like PHP's maps.
    var phpKey: PHPKey {
        switch self {
        case .int(let value): .int(value)
        case .string(let text): PHPKey(normalizing: text)
        }
    }
}
