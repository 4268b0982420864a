extension WebSocketConnectInfo {
    /// The arrays workerman 4.2 fills as `$_GET`, `$_SERVER` and `$_COOKIE` before it calls the
    /// gateway's `onWebSocketConnect` (spec §4.2, first column).
    ///
    /// - `server` starts with `REQUEST_METHOD`, `REQUEST_URI`, `SERVER_PROTOCOL`: the request line
    ///   split on every space, the first three pieces (`null` when missing, extra pieces ignored).
    /// - Then each header line in order, except empty ones and `0` (PHP `empty`), sets
    ///   `HTTP_<NAME>`: the name before the first `:` upper-cased with `-` → `_` (not trimmed), the
    ///   value after it trimmed (a line without `:` has the value `""`). A repeated name overwrites
    ///   the value in place, like any PHP array assignment.
    /// - A `Host` line then sets `SERVER_NAME` to the value up to its first `:` and, if there is a
    ///   `:`, `SERVER_PORT` to the text between the first and a second `:` (so `[::1]:8282` gives
    ///   `[` and `""`, as PHP does).
    /// - A `Cookie` line replaces the cookies with `parse_str` of its value with `"; "` → `&`
    ///   (URL-decoded; the last `Cookie` line wins).
    /// - Last, `QUERY_STRING` is `parse_url`'s query of `REQUEST_URI`, or `""` when that is missing
    ///   or falsy (`""`, `"0"`); only a truthy query is parsed into `get`.
    static func workerman4(lines: [ArraySlice<UInt8>], limits: PHPQueryString.Limits) -> WebSocketConnectInfo {
        var server = PHPArray()
        let requestLine = PHPStringFunctions.explode(lines[0], separator: UInt8(ascii: " "))
        server["REQUEST_METHOD"] = string(requestLine[0])
        server["REQUEST_URI"] = requestLine.count > 1 ? string(requestLine[1]) : .null
        server["SERVER_PROTOCOL"] = requestLine.count > 2 ? string(requestLine[2]) : .null

        var cookie = PHPArray()
        for line in lines.dropFirst() where PHPStringFunctions.isTruthy(line) {
            let parts = PHPStringFunctions.explode(line, separator: UInt8(ascii: ":"), limit: 2)
            let value = parts.count > 1 ? PHPStringFunctions.trim(parts[1]) : []
            let name = serverName(ofHeader: parts[0])
            server[serverKey(name)] = string(value)
            if name == Array("HOST".utf8) {
                let host = PHPStringFunctions.explode(value, separator: UInt8(ascii: ":"))
                server["SERVER_NAME"] = string(host[0])
                if host.count > 1 { server["SERVER_PORT"] = string(host[1]) }
            } else if name == Array("COOKIE".utf8) {
                let query = PHPStringFunctions.replacing(Array("; ".utf8), with: [UInt8(ascii: "&")], in: value)
                cookie = PHPQueryString.parse(query, limits: limits)
            }
        }

        var get = PHPArray()
        let target = requestLine.count > 1 ? Array(requestLine[1]) : []
        if let query = PHPURL.query(in: target), PHPStringFunctions.isTruthy(query[...]) {
            server["QUERY_STRING"] = .string(query)
            get = PHPQueryString.parse(query, limits: limits)
        } else {
            server["QUERY_STRING"] = .string([])
        }
        return WebSocketConnectInfo(get: get, server: server, cookie: cookie)
    }
}
