/// What a WebSocket client's upgrade request tells the workers: the body of CMD_ON_WEBSOCKET_CONNECT,
/// the PHP array `['get' => …, 'server' => …, 'cookie' => …]` (spec §4.2), computed from the raw
/// request head exactly as the PHP gateway computes it under workerman 4.2 or 5.2.
///
/// User code reads these keys (`$data['server']['HTTP_X_FORWARDED_FOR']`, `$data['get']['token']`),
/// so every rule is reproduced byte for byte, quirks included: the head is taken as raw bytes (not
/// repaired into UTF-8, unlike `WebSocketUpgradeRequest`), header lines are split the way workerman
/// splits them, and the query and cookies go through PHP's own `parse_url` and `parse_str` rules
/// (`PHPURL`, `PHPQueryString`). The two flavours differ in `server` keys and cookie decoding; see
/// `init(head:flavour:remoteAddress:remotePort:serverPort:limits:)`.
///
/// Work and output are linear in the head's length (PHP's `parse_str` limits bound nesting and
/// variable count): about 20 µs for a browser's request, a few milliseconds for a hostile 16 KiB
/// head built of nested `[]` (release build).
public struct WebSocketConnectInfo: Hashable, Sendable {
    /// The query string parsed by `parse_str`.
    public var get: PHPArray
    /// `$_SERVER` as workerman 4 fills it, or the array GatewayWorker builds from workerman 5's request.
    public var server: PHPArray
    /// The cookies: `parse_str` of the `Cookie` header (workerman 4) or its raw `name=value` pairs
    /// (workerman 5).
    public var cookie: PHPArray

    /// The arrays for the request whose head is `head`.
    ///
    /// - Parameters:
    ///   - head: the request head as received, normally up to and including the `\r\n\r\n` that ends
    ///     it (`HTTPHeadDecoder` delimits it). Only the bytes before the first `\r\n\r\n` are read;
    ///     without one, all of them are.
    ///   - flavour: which workerman's arrays to build (per listener, like the 101 response).
    ///   - remoteAddress: the client's IP address as text, without brackets or port (workerman 5's
    ///     `REMOTE_ADDR`; unused by workerman 4).
    ///   - remotePort: the client's port (workerman 5's `REMOTE_PORT`).
    ///   - serverPort: the local port the client connected to (workerman 5's `SERVER_PORT`).
    ///   - limits: PHP's `parse_str` limits for `get` and `cookie`.
    public init(
        head: borrowing Span<UInt8>,
        flavour: WebSocketHandshake.Flavour,
        remoteAddress: String,
        remotePort: UInt16,
        serverPort: UInt16,
        limits: PHPQueryString.Limits = PHPQueryString.Limits()
    ) {
        let lines = Self.headLines(head)
        switch flavour {
        case .workerman4:
            self = Self.workerman4(lines: lines, limits: limits)
        case .workerman5:
            self = Self.workerman5(
                lines: lines,
                remoteAddress: Array(remoteAddress.utf8),
                remotePort: remotePort,
                serverPort: serverPort,
                limits: limits
            )
        }
    }

    /// An info made of the three arrays.
    public init(get: PHPArray, server: PHPArray, cookie: PHPArray) {
        self.get = get
        self.server = server
        self.cookie = cookie
    }

    /// The array the body serializes: `['get' => …, 'server' => …, 'cookie' => …]`.
    public var array: PHPArray {
        ["get": .array(get), "server": .array(server), "cookie": .array(cookie)]
    }

    /// The body of CMD_ON_WEBSOCKET_CONNECT: `serialize(['get' => …, 'server' => …, 'cookie' => …])`.
    public func serialized() -> [UInt8] {
        PHPSerializer.serialize(.array(array))
    }

    /// The body of CMD_ON_WEBSOCKET_CONNECT for the request whose head is `head`; see
    /// `init(head:flavour:remoteAddress:remotePort:serverPort:limits:)` for the parameters.
    public static func serializedBody(
        head: borrowing Span<UInt8>,
        flavour: WebSocketHandshake.Flavour,
        remoteAddress: String,
        remotePort: UInt16,
        serverPort: UInt16
    ) -> [UInt8] {
        WebSocketConnectInfo(
            head: head, flavour: flavour, remoteAddress: remoteAddress, remotePort: remotePort, serverPort: serverPort
        ).serialized()
    }

    /// The head's lines as both workerman versions see them: the bytes before the first
    /// `\r\n\r\n`, split on every `\r\n` (PHP `explode`). The first line is the request line; there
    /// is always one.
    static func headLines(_ head: borrowing Span<UInt8>) -> [ArraySlice<UInt8>] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(head.count)
        var index = 0
        while index < head.count {
            if head[index] == 0x0D && index + 3 < head.count && head[index + 1] == 0x0A && head[index + 2] == 0x0D
                && head[index + 3] == 0x0A
            {
                break
            }
            bytes.append(head[index])
            index += 1
        }
        return PHPStringFunctions.explode(bytes[...], separator: [0x0D, 0x0A])
    }

    /// A string entry's value.
    static func string(_ bytes: ArraySlice<UInt8>) -> PHPValue {
        .string(Array(bytes))
    }

    /// `str_replace('-', '_', strtoupper($name))`: a header name as it appears in a `server` key.
    static func serverName(ofHeader name: ArraySlice<UInt8>) -> [UInt8] {
        PHPStringFunctions.uppercased(name).map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "_") : $0 }
    }

    /// `"HTTP_" . $serverName`, the `server` key of a header.
    static func serverKey(_ serverName: [UInt8]) -> PHPKey {
        .string(Array("HTTP_".utf8) + serverName)  // never a canonical integer: it starts with a letter
    }
}
