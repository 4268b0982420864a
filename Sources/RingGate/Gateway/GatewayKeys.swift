import RingGateCodecs

/// PHP truthiness and key rules for the uid, group and cid values the gateway receives (spec §7.7).
enum GatewayKeys {
    /// Whether PHP's `empty()` holds for the string `bytes`: `""` and `"0"` are falsy. Bind, join, leave
    /// and ungroup refuse such uids and groups (§4.7, §4.8); a falsy session counts as none (§4.6).
    static func isFalsy(_ bytes: [UInt8]) -> Bool {
        bytes.isEmpty || bytes == [UInt8(ascii: "0")]
    }

    /// The connection id a PHP array key denotes: an integer key in 1…2³²−1, else nil (no client
    /// has such an id, so PHP's `isset($clients[$key])` is false).
    static func connectionID(_ key: PHPKey) -> UInt32? {
        guard case .int(let value) = key, value > 0, value <= Int64(UInt32.max) else { return nil }
        return UInt32(value)
    }

    /// The connection id a decoded JSON value denotes when PHP uses it as a key of the client table
    /// (`connections`/`connection_id` values), or nil.
    static func connectionID(json: JSONValue) -> UInt32? {
        PHPKey(json: json).flatMap(connectionID)
    }

    /// The cids a JSON `exclude` value names: an object's keys (PHP tests `isset($exclude[$cid])`,
    /// §4.4), or — a deliberate deviation (§12) — a non-empty list's values, reported through
    /// `listDeviation` so the caller can count it. Anything else excludes nobody.
    static func excludedConnectionIDs(_ exclude: JSONValue?) -> (ids: Set<UInt32>, listDeviation: Bool) {
        switch exclude {
        case .object(let members)?:
            return (Set(members.compactMap { connectionID(PHPKey(normalizing: $0.key)) }), false)
        case .array(let elements)? where !elements.isEmpty:
            return (Set(elements.compactMap { connectionID(json: $0) }), true)
        default:
            return ([], false)
        }
    }
}
