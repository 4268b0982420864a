extension JSONValue {
    /// Whether PHP treats the decoded value as false (`empty()`): null, false, 0, 0.0, `""`, `"0"`, and empty
    /// arrays or objects (`json_decode(…, true)` makes both PHP arrays). Register auth, SELECT's `where` and
    /// the send commands' options all follow this rule.
    public var isPHPFalsy: Bool {
        switch self {
        case .null: return true
        case .bool(let flag): return !flag
        case .number(let number): return number.doubleValue == 0
        case .string(let string): return string.isEmpty || string == "0"
        case .array(let elements): return elements.isEmpty
        case .object(let members): return members.isEmpty
        }
    }
}
