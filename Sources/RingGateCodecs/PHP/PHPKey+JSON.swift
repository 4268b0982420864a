extension PHPKey {
    /// The key PHP uses when a decoded JSON value indexes an array (uid and group lists, spec §7.7):
    /// strings are normalised (`"42"` → 42), integers are themselves, `true`/`false` → 1/0,
    /// `null` → `""`, other numbers are truncated toward zero (an integer literal beyond 64 bits is a
    /// float to PHP). Nil for arrays and objects, which PHP refuses as keys.
    public init?(json: JSONValue) {
        switch json {
        case .string(let string): self.init(normalizing: string)
        case .bool(let flag): self = .int(flag ? 1 : 0)
        case .null: self = .string([])
        case .number(let number):
            if let integer = number.int64Value {
                self = .int(integer)
            } else {
                self.init(truncating: number.doubleValue)
            }
        case .array, .object: return nil
        }
    }
}
