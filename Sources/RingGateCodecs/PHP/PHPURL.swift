/// PHP's `parse_url`, as far as workerman needs it: the query component of a request target
/// (spec §4.2 `QUERY_STRING`).
///
/// PHP 8.2's parser is not RFC 3986: it guesses schemes, ports and hosts from colons and slashes,
/// and refuses some targets outright (`/a:80/b?x` has a "port" but no host, so `parse_url` returns
/// `false` and workerman reports no query at all). Which targets yield which query is part of what
/// workers observe, so this follows PHP's decisions step by step; only the query is extracted.
public enum PHPURL {
    /// The query component `parse_url($target, PHP_URL_QUERY)` returns: the bytes after the first
    /// `?` of the path part and before a `#`, with control bytes (0x00–0x1F, 0x7F) replaced by `_`.
    /// Nil where PHP returns `null` (no `?`) or `false` (a target PHP cannot parse).
    public static func query(in target: borrowing Span<UInt8>) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(target.count)
        for index in target.indices { bytes.append(target[index]) }
        return query(in: bytes)
    }

    /// The query component of `target`, as `query(in:)` on a span.
    public static func query(in target: [UInt8]) -> [UInt8]? {
        var parser = Parser(bytes: target)
        guard let pathStart = parser.pathStart() else { return nil }
        return parser.query(from: pathStart)
    }

    /// The parser's position and the port it has found, mirroring `php_url_parse_ex2`.
    private struct Parser {
        let bytes: [UInt8]
        /// The port found so far; PHP treats port 0 as "none found yet".
        var port = 0

        /// Where the path-and-query part starts, or nil when PHP rejects the target or finds nothing
        /// after the host (then there is no query either).
        mutating func pathStart() -> Int? {
            let end = bytes.count
            var start = 0
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
                return startsWithTwoSlashes(start) ? afterHost(start + 2) : start
            }
            if colon == start { return afterPort(colon: colon, start: start) }
            for byte in bytes[..<colon] where !isSchemeByte(byte) {
                if colon + 1 < end && colon < firstIndex(ofAny: "?#", from: start) {
                    return afterPort(colon: colon, start: start)
                }
                return startsWithTwoSlashes(start) ? afterHost(start + 2) : start
            }
            if colon + 1 == end { return nil }  // only a scheme
            if bytes[colon + 1] != slash {
                // `a.com:80` is a host and port, `mailto:x` a scheme and path.
                var digitEnd = colon + 1
                while digitEnd < end && PHPStringFunctions.isDigit(bytes[digitEnd]) { digitEnd += 1 }
                if (digitEnd == end || bytes[digitEnd] == slash) && digitEnd - colon < 7 {
                    return afterPort(colon: colon, start: start)
                }
                return colon + 1
            }
            guard colon + 2 < end && bytes[colon + 2] == slash else { return colon + 1 }
            start = colon + 3
            if PHPStringFunctions.lowercased(bytes[..<colon]) == Array("file".utf8) && colon + 3 < end
                && bytes[colon + 3] == slash
            {
                return colon + 5 < end && bytes[colon + 5] == UInt8(ascii: ":") ? colon + 4 : start
            }
            return afterHost(start)
        }

        /// PHP's `parse_port` step: digits right after `colon` may be a port (`host:80/path`).
        private mutating func afterPort(colon: Int, start: Int) -> Int? {
            let end = bytes.count
            let digitsStart = colon + 1
            var digitsEnd = digitsStart
            while digitsEnd < end && digitsEnd - digitsStart < 6 && PHPStringFunctions.isDigit(bytes[digitsEnd]) {
                digitsEnd += 1
            }
            let digitCount = digitsEnd - digitsStart
            if digitCount > 0 && digitCount < 6 && (digitsEnd == end || bytes[digitsEnd] == slash) {
                guard let value = Self.port(bytes[digitsStart..<digitsEnd]) else { return nil }
                port = value
                return afterHost(startsWithTwoSlashes(start) ? start + 2 : start)
            }
            if digitCount == 0 && digitsEnd == end { return nil }
            return startsWithTwoSlashes(start) ? afterHost(start + 2) : start
        }

        /// PHP's `parse_host` step: user info, host and port up to the first `/`, `?` or `#`; the
        /// target is rejected when the host is empty or the port is not a number up to 65535.
        private mutating func afterHost(_ hostStart: Int) -> Int? {
            let end = bytes.count
            var start = hostStart
            let hostEnd = firstIndex(ofAny: "/?#", from: start)
            if let at = bytes[start..<hostEnd].lastIndex(of: UInt8(ascii: "@")) { start = at + 1 }
            var nameEnd = hostEnd
            let isBracketed =
                start < end && bytes[start] == UInt8(ascii: "[") && bytes[hostEnd - 1] == UInt8(ascii: "]")
            if !isBracketed, let colon = bytes[start..<hostEnd].lastIndex(of: UInt8(ascii: ":")) {
                nameEnd = colon
                if port == 0 {
                    let digits = bytes[(colon + 1)..<hostEnd]
                    if digits.count > 5 { return nil }
                    if !digits.isEmpty {
                        guard let value = Self.port(digits) else { return nil }
                        port = value
                    }
                }
            }
            if nameEnd - start < 1 { return nil }
            return hostEnd == end ? nil : hostEnd
        }

        /// The query after `start` (PHP's `just_path` step).
        func query(from start: Int) -> [UInt8]? {
            var end = bytes.count
            if let hash = bytes[start..<end].firstIndex(of: UInt8(ascii: "#")) { end = hash }
            guard let question = bytes[start..<end].firstIndex(of: UInt8(ascii: "?")) else { return nil }
            return bytes[(question + 1)..<end].map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "_") : $0 }
        }

        /// The port `strtol` reads from at most five bytes, if it is within 0...65535: optional
        /// whitespace and sign, then digits (trailing bytes ignored), at least one digit.
        private static func port(_ text: ArraySlice<UInt8>) -> Int? {
            var index = text.startIndex
            while index < text.endIndex && PHPStringFunctions.isSpace(text[index]) { index += 1 }
            var negative = false
            if index < text.endIndex && (text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-")) {
                negative = text[index] == UInt8(ascii: "-")
                index += 1
            }
            var value = 0
            var digitCount = 0
            while index < text.endIndex && PHPStringFunctions.isDigit(text[index]) {
                value = value * 10 + Int(text[index] - UInt8(ascii: "0"))
                digitCount += 1
                index += 1
            }
            if negative { value = -value }
            return digitCount > 0 && value >= 0 && value <= 65535 ? value : nil
        }

        private func startsWithTwoSlashes(_ start: Int) -> Bool {
            start + 1 < bytes.count && bytes[start] == slash && bytes[start + 1] == slash
        }

        /// The first index at or after `start` holding one of `characters`, else the end.
        private func firstIndex(ofAny characters: String, from start: Int) -> Int {
            bytes[start...].firstIndex { characters.utf8.contains($0) } ?? bytes.count
        }

        private func isSchemeByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "-"):
                true
            default: false
            }
        }

        private let slash = UInt8(ascii: "/")
    }
}
