/// The few PHP string functions whose exact byte behaviour the gateway reproduces when it rebuilds what
/// workerman computes from a request head (spec §4.2): `explode`, `trim`, `strtoupper`/`strtolower`,
/// `str_replace` and PHP's truthiness of strings.
///
/// All work on bytes (PHP strings are binary) and only ASCII letters change case: PHP 8.2's case
/// functions ignore the locale, and the C library's character classes that PHP uses elsewhere
/// (`isspace`, `isxdigit`, `iscntrl`) are ASCII-only in the C locales PHP runs in.
enum PHPStringFunctions {
    /// `explode($separator, $bytes)`: the pieces between occurrences of `separator` (non-empty),
    /// scanning left to right; `limit` > 0 keeps at most that many pieces, the last holding the rest.
    /// Always at least one piece (an empty input gives one empty piece).
    static func explode(_ bytes: ArraySlice<UInt8>, separator: [UInt8], limit: Int = .max) -> [ArraySlice<UInt8>] {
        precondition(!separator.isEmpty, "explode needs a non-empty separator")
        var pieces: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index + separator.count <= bytes.endIndex && pieces.count + 1 < limit {
            if bytes[index] == separator[0] && bytes[index..<(index + separator.count)].elementsEqual(separator) {
                pieces.append(bytes[start..<index])
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        pieces.append(bytes[start...])
        return pieces
    }

    /// `explode` on a one-byte separator.
    static func explode(_ bytes: ArraySlice<UInt8>, separator: UInt8, limit: Int = .max) -> [ArraySlice<UInt8>] {
        explode(bytes, separator: [separator], limit: limit)
    }

    /// The characters PHP's `trim` strips by default: space, tab, LF, CR, NUL and vertical tab.
    static let defaultTrimCharacters: [UInt8] = [0x20, 0x09, 0x0A, 0x0D, 0x00, 0x0B]

    /// `trim($bytes, $characters)`: `bytes` without leading and trailing bytes from `characters`.
    static func trim(_ bytes: ArraySlice<UInt8>, _ characters: [UInt8] = defaultTrimCharacters) -> ArraySlice<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end && characters.contains(bytes[start]) { start += 1 }
        while end > start && characters.contains(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    /// `strtoupper`: ASCII `a`–`z` to `A`–`Z`, every other byte unchanged.
    static func uppercased(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        bytes.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 0x20 : $0 }
    }

    /// `strtolower`: ASCII `A`–`Z` to `a`–`z`, every other byte unchanged.
    static func lowercased(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 0x20 : $0 }
    }

    /// `str_replace($search, $replacement, $bytes)` for a non-empty `search`: every occurrence, left
    /// to right, without overlaps.
    static func replacing(_ search: [UInt8], with replacement: [UInt8], in bytes: ArraySlice<UInt8>) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        for (position, piece) in explode(bytes, separator: search).enumerated() {
            if position > 0 { result.append(contentsOf: replacement) }
            result.append(contentsOf: piece)
        }
        return result
    }

    /// PHP's truthiness of a string: false only for `""` and `"0"`.
    static func isTruthy(_ bytes: ArraySlice<UInt8>) -> Bool {
        !(bytes.isEmpty || (bytes.count == 1 && bytes.first == UInt8(ascii: "0")))
    }

    /// C's `isspace` in the C locale: space, tab, LF, vertical tab, form feed, CR.
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    /// C's `isdigit`.
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// The value of a hexadecimal digit (C's `isxdigit`), or nil.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
