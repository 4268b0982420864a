extension PHPQueryString {
    /// One step from an array to an entry of it.
    enum PathElement: Equatable, Sendable {
        /// The entry under a (normalised) key.
        case key(PHPKey)
        /// `[]`: a new entry under the array's next integer key.
        case append
    }

    /// Where a variable name puts its value: the first element is the top-level key, each later one
    /// steps into the array under the previous one.
    struct VariablePath: Equatable, Sendable {
        /// What happens at the end of the path.
        enum Ending: Equatable, Sendable {
            /// The value is stored under the last element.
            case store
            /// The name has more bracket levels than allowed: PHP creates the arrays for the first
            /// `maxNestingLevel` levels, then removes the whole top-level entry and stores nothing.
            case removeTopLevelEntry
            /// The last element is a refused key (see `path(ofName:maxNestingLevel:)`): the arrays
            /// before it are created, nothing is stored.
            case discard
        }

        /// The path; never empty, and its first element is always a `.key`. Every element but the
        /// last names an array that is created on the way.
        var elements: [PathElement]
        /// What happens at the end of the path.
        var ending: Ending
    }

    /// The path a decoded variable name denotes, or nil when PHP drops the variable: PHP 8.2's
    /// `php_register_variable_ex` (with its 2024 cookie-prefix fixes).
    ///
    /// - Leading spaces are skipped. In the top-level name (up to the first `[`), space and `.`
    ///   become `_`; an empty top-level name is dropped.
    /// - Each `[index]` adds a level; `[]` (or `[` + one whitespace + `]`) appends. Indexes are
    ///   taken verbatim (no replacements; a leading whitespace byte is kept), and anything after a
    ///   `]` not followed by `[` is ignored.
    /// - A `[` without a closing `]` is not an index: on the first level the name becomes a plain
    ///   top-level name with that `[` and every later space, `.` and `[` turned into `_` (`a[b` →
    ///   `a_b`); on deeper levels the value goes under the previous index (`a[b][c` → `a[b]`).
    /// - Cookie-prefix guard: a key (top-level name or index) that starts with `__Host-` or
    ///   `__Secure-` while the name itself (after its leading spaces) does not is refused where PHP
    ///   would use it: a refused top-level name drops the variable, a refused index ends the path
    ///   with `.discard`. (`a[__Host-x]=1` leaves `a` as an empty array; `__Host-a[__Host-x]=1` is
    ///   stored.)
    static func path(ofName name: [UInt8], maxNestingLevel: Int) -> VariablePath? {
        var start = 0
        while start < name.count && name[start] == space { start += 1 }
        let original = name[start...]
        func isRefused(_ key: some Collection<UInt8>) -> Bool {
            refusedPrefixes.contains { key.starts(with: $0) && !original.starts(with: $0) }
        }

        var top: [UInt8] = []
        var bracket: Int? = nil
        for index in start..<name.count {
            let byte = name[index]
            if byte == UInt8(ascii: "[") {
                bracket = index
                break
            }
            top.append(byte == space || byte == dot ? underscore : byte)
        }
        guard !isRefused(top) && !top.isEmpty else { return nil }
        var elements = [PathElement.key(PHPKey(normalizing: top))]
        guard var position = bracket else { return VariablePath(elements: elements, ending: .store) }

        var level = 0
        var refused = false
        while true {
            level += 1
            if level > maxNestingLevel { return VariablePath(elements: elements, ending: .removeTopLevelEntry) }
            // The previous index is used from here on (as an array, or to store the value under).
            if refused { return VariablePath(elements: elements, ending: .discard) }
            position += 1  // just after the `[`
            let indexStart = position
            if position < name.count && PHPStringFunctions.isSpace(name[position]) { position += 1 }
            if position < name.count && name[position] == closingBracket {
                elements.append(.append)
            } else {
                guard let close = name[position...].firstIndex(of: closingBracket) else {
                    guard level == 1 else { return VariablePath(elements: elements, ending: .store) }
                    var flat = top
                    flat.append(underscore)
                    for byte in name[indexStart...] {
                        flat.append(byte == space || byte == dot || byte == UInt8(ascii: "[") ? underscore : byte)
                    }
                    guard !isRefused(flat) else { return nil }
                    return VariablePath(elements: [.key(PHPKey(normalizing: flat))], ending: .store)
                }
                let index = name[indexStart..<close]
                refused = isRefused(index)
                elements.append(.key(PHPKey(normalizing: Array(index))))
                position = close
            }
            position += 1  // just after the `]`
            guard position < name.count && name[position] == UInt8(ascii: "[") else {
                return VariablePath(elements: elements, ending: refused ? .discard : .store)
            }
        }
    }

    /// Cookie name prefixes browsers protect; PHP refuses keys that gain them without the name
    /// having them (CVE-2022-31629, CVE-2024-2756).
    private static let refusedPrefixes: [[UInt8]] = [Array("__Host-".utf8), Array("__Secure-".utf8)]
    private static let space = UInt8(ascii: " ")
    private static let dot = UInt8(ascii: ".")
    private static let underscore = UInt8(ascii: "_")
    private static let closingBracket = UInt8(ascii: "]")
}
