extension WebSocketConnectInfo {
    /// The arrays GatewayWorker's gateway builds from workerman 5.2's `Request` object (spec §4.2,
    /// second column).
    ///
    /// - Headers: each line after the request line that has a `:` gives the lower-cased name before
    ///   it (a PHP array key, so normalised) and the value after it trimmed of spaces and tabs; lines
    ///   without `:` are ignored; a repeated name appends `,` + value to the first one's.
    /// - `server`: `QUERY_STRING` (`parse_url`'s query of the target, `""` if none), `REQUEST_METHOD`
    ///   and `REQUEST_URI` (the request line split on its first two spaces; target `/` if missing),
    ///   `SERVER_PROTOCOL` (`HTTP/` + what follows the first `HTTP/` in the request line, `1.0` if
    ///   none), `SERVER_NAME` (the whole `host` header, port included, or null), `CONTENT_TYPE` (or
    ///   null), `REMOTE_ADDR`, `REMOTE_PORT` and `SERVER_PORT` (ints), then `HTTP_<NAME>` per header
    ///   (upper-cased, `-` → `_`; names that then coincide overwrite in place).
    /// - `get`: `parse_str` of the query unless it is `""`.
    /// - `cookie`: the `cookie` header split on `;`, each piece on its first `=`; pieces without `=`
    ///   are dropped, the name is trimmed (PHP `trim`), the value kept as sent (not URL-decoded).
    static func workerman5(
        lines: [ArraySlice<UInt8>],
        remoteAddress: [UInt8],
        remotePort: UInt16,
        serverPort: UInt16,
        limits: PHPQueryString.Limits
    ) -> WebSocketConnectInfo {
        let requestLine = lines[0]
        let parts = PHPStringFunctions.explode(requestLine, separator: UInt8(ascii: " "), limit: 3)
        let target = parts.count > 1 ? Array(parts[1]) : Array("/".utf8)
        let query = PHPURL.query(in: target) ?? []
        let headers = workerman5Headers(lines.dropFirst())

        var server = PHPArray()
        server["QUERY_STRING"] = .string(query)
        server["REQUEST_METHOD"] = string(parts[0])
        server["REQUEST_URI"] = .string(target)
        server["SERVER_PROTOCOL"] = .string(Array("HTTP/".utf8) + protocolVersion(requestLine))
        server["SERVER_NAME"] = headers["host"] ?? .null
        server["CONTENT_TYPE"] = headers["content-type"] ?? .null
        server["REMOTE_ADDR"] = .string(remoteAddress)
        server["REMOTE_PORT"] = .int(Int64(remotePort))
        server["SERVER_PORT"] = .int(Int64(serverPort))
        for (name, value) in headers {
            server[serverKey(serverName(ofHeader: name.textBytes[...]))] = value
        }

        let get = query.isEmpty ? PHPArray() : PHPQueryString.parse(query, limits: limits)
        let cookieLine = headers["cookie"]?.stringBytes ?? []
        var cookie = PHPArray()
        for piece in PHPStringFunctions.explode(cookieLine[...], separator: UInt8(ascii: ";")) {
            let pair = PHPStringFunctions.explode(piece, separator: UInt8(ascii: "="), limit: 2)
            guard pair.count == 2 else { continue }
            cookie[PHPKey(normalizing: Array(PHPStringFunctions.trim(pair[0])))] = string(pair[1])
        }
        return WebSocketConnectInfo(get: get, server: server, cookie: cookie)
    }

    /// `Request::header()`: lower-cased names to trimmed values, repeats joined with `,`.
    private static func workerman5Headers(_ lines: ArraySlice<ArraySlice<UInt8>>) -> PHPArray {
        // Values grow in place (a head repeating one header thousands of times stays linear).
        var names: [PHPKey] = []
        var values: [PHPKey: [UInt8]] = [:]
        for line in lines where !line.isEmpty {
            let parts = PHPStringFunctions.explode(line, separator: UInt8(ascii: ":"), limit: 2)
            guard parts.count == 2 else { continue }
            let key = PHPKey(normalizing: PHPStringFunctions.lowercased(parts[0]))
            let value = PHPStringFunctions.trim(parts[1], [UInt8(ascii: " "), UInt8(ascii: "\t")])
            if values[key] == nil {
                names.append(key)
                values[key] = Array(value)
            } else {
                values[key]?.append(UInt8(ascii: ","))
                values[key]?.append(contentsOf: value)
            }
        }
        var headers = PHPArray(minimumCapacity: names.count)
        for name in names { headers[name] = .string(values[name] ?? []) }
        return headers
    }

    /// `Request::protocolVersion()`: what follows the first `HTTP/` in the request line, else `1.0`.
    private static func protocolVersion(_ requestLine: ArraySlice<UInt8>) -> [UInt8] {
        let marker = Array("HTTP/".utf8)
        var index = requestLine.startIndex
        while index + marker.count <= requestLine.endIndex {
            if requestLine[index..<(index + marker.count)].elementsEqual(marker) {
                return Array(requestLine[(index + marker.count)...])
            }
            index += 1
        }
        return Array("1.0".utf8)
    }
}
