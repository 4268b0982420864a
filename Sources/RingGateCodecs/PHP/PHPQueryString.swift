/// PHP's `parse_str`: a query string (or a cookie line turned into one) parsed into the nested array
/// PHP 8.2 builds, as workerman does for the `get` and `cookie` arrays of CMD_ON_WEBSOCKET_CONNECT
/// (spec §4.2).
///
/// The input is read up to its first NUL byte (PHP scans a C string) and split on `&`, empty pieces
/// skipped. Each piece is `name=value` or a bare `name` (value `""`); both sides are URL-decoded
/// (`+` is a space, `%XX` a byte, any other `%` stays). The name is then read up to its first
/// (decoded) NUL byte, leading spaces dropped, and mapped to a path by `PHPQueryString.path(ofName:)`:
/// `a` → `$r['a']`, `a[]` → appended, `a[b][c]` → nested, `.` and space in the top-level name → `_`.
/// Keys are normalised (spec §9.3) and a later piece overwrites an earlier one in place.
///
/// Bounded like PHP itself: at most `maxVariableCount` pieces are read (`max_input_vars`) and a name
/// nesting deeper than `maxNestingLevel` brackets (`max_input_nesting_level`) removes its top-level
/// entry instead of nesting. Work and the result's size are linear in the input's length; nothing
/// traps on hostile input.
public enum PHPQueryString {
    /// PHP's input limits; the defaults are PHP's.
    public struct Limits: Equatable, Sendable {
        /// `max_input_vars`: pieces after this many are ignored (PHP warns and stops reading).
        public var maxVariableCount: Int
        /// `max_input_nesting_level`: a name with more bracket levels is dropped, and so is the
        /// top-level entry it would have gone into.
        public var maxNestingLevel: Int

        /// Limits with PHP's defaults (1000 variables, 64 levels).
        public init(maxVariableCount: Int = 1000, maxNestingLevel: Int = 64) {
            self.maxVariableCount = maxVariableCount
            self.maxNestingLevel = maxNestingLevel
        }
    }

    /// The array `parse_str($bytes, $result)` leaves in `$result`.
    public static func parse(_ bytes: borrowing Span<UInt8>, limits: Limits = Limits()) -> PHPArray {
        var end = 0
        while end < bytes.count && bytes[end] != 0 { end += 1 }
        var result = PHPArray()
        var variableCount = 0
        var start = 0
        while start < end {
            guard bytes[start] != ampersand else {
                start += 1
                continue
            }
            var stop = start
            var equals: Int? = nil
            while stop < end && bytes[stop] != ampersand {
                if equals == nil && bytes[stop] == UInt8(ascii: "=") { equals = stop }
                stop += 1
            }
            variableCount += 1
            if variableCount > limits.maxVariableCount { break }
            let value = equals.map { urlDecode(bytes, ($0 + 1)..<stop) } ?? []
            var name = urlDecode(bytes, start..<(equals ?? stop))
            if let nul = name.firstIndex(of: 0) { name.removeSubrange(nul...) }
            if let path = path(ofName: name, maxNestingLevel: limits.maxNestingLevel) {
                store(.string(value), at: path, in: &result)
            }
            start = stop
        }
        return result
    }

    /// The array `parse_str` gives for `bytes`.
    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) -> PHPArray {
        parse(bytes.span, limits: limits)
    }

    /// PHP's `urldecode`: `+` becomes a space, `%` and two hex digits the byte they spell; any other
    /// byte, including a `%` not followed by two hex digits, is kept.
    public static func urlDecode(_ bytes: borrowing Span<UInt8>) -> [UInt8] {
        urlDecode(bytes, 0..<bytes.count)
    }

    static func urlDecode(_ bytes: borrowing Span<UInt8>, _ range: Range<Int>) -> [UInt8] {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                decoded.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") && index + 2 < range.upperBound,
                let high = PHPStringFunctions.hexValue(bytes[index + 1]),
                let low = PHPStringFunctions.hexValue(bytes[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 2
            } else {
                decoded.append(byte)
            }
            index += 1
        }
        return decoded
    }

    /// Stores `value` where `path` leads, creating the arrays on the way as PHP does: a missing or
    /// non-array entry on the path becomes an empty array (in place), `[]` appends a new one. When
    /// an append is impossible (the next integer key would pass `Int64.max`) PHP gives up there,
    /// keeping the arrays made so far. The path's `ending` says whether the value is then stored,
    /// the top-level entry removed (nesting too deep), or nothing more done (a refused key).
    static func store(_ value: PHPValue, at path: VariablePath, in root: inout PHPArray) {
        // Each array on the path is taken out of its parent while it changes, so it is uniquely
        // referenced and changes in place; parents are put back together afterwards.
        var parents: [(array: PHPArray, key: PHPKey)] = []
        var current = root
        root = PHPArray()
        var completed = true
        for element in path.elements.dropLast() {
            guard let key = key(for: element, in: &current) else {
                completed = false
                break
            }
            let child = current.updateValue(.null, forKey: key)?.arrayValue ?? PHPArray()
            parents.append((current, key))
            current = child
        }
        if completed && path.ending == .store, let last = path.elements.last {
            switch last {
            case .key(let key): current[key] = value
            case .append: current.append(value)
            }
        }
        while let (parent, key) = parents.popLast() {
            var array = parent
            array.updateValue(.array(current), forKey: key)
            current = array
        }
        root = current
        if completed && path.ending == .removeTopLevelEntry, case .key(let top)? = path.elements.first {
            root.removeValue(forKey: top)
        }
    }

    /// The key `element` names in `array`; for `[]`, a new entry appended to it (nil when PHP's
    /// next integer key is exhausted).
    private static func key(for element: PathElement, in array: inout PHPArray) -> PHPKey? {
        switch element {
        case .key(let key):
            return key
        case .append:
            guard array.append(.null) else { return nil }
            return array[position: array.count - 1].key
        }
    }

    private static let ampersand = UInt8(ascii: "&")
}
