// libFuzzer target for the CMD_ON_WEBSOCKET_CONNECT body: WebSocketConnectInfo in both flavours, and
// the PHPQueryString and PHPURL parsers under it. The first input byte picks the checks: bit 0 small
// parse_str limits (4 variables, 3 levels) instead of PHP's, bit 1 the (costly) check that bytes after
// the head change nothing; the rest is the request head.
//
// Checked: nothing traps; each body unserializes to the arrays it was written from and re-serializes
// byte-identically; the server keys start (and for workerman 4 end) as PHP's do; get and cookie
// respect the variable and nesting limits; bytes after the first `\r\n\r\n` change nothing; a query
// both flavours parse gives both the same get array; PHPURL's query never holds a control byte.
//
// Build and run: `scripts/fuzz-smoke.sh 60 FuzzWebSocketConnectInfo` (flags: FuzzSupport/FuzzReplay.swift).
// Without FUZZING the executable replays files (or directories of files) given as arguments.
import FuzzSupport
import RingGateCodecs

let workerman4Start: [PHPKey] = ["REQUEST_METHOD", "REQUEST_URI", "SERVER_PROTOCOL"]
let workerman5Start: [PHPKey] = [
    "QUERY_STRING", "REQUEST_METHOD", "REQUEST_URI", "SERVER_PROTOCOL", "SERVER_NAME", "CONTENT_TYPE",
    "REMOTE_ADDR", "REMOTE_PORT", "SERVER_PORT",
]

/// How many arrays nest inside `array` (0 when no value is an array).
func nestingDepth(_ array: PHPArray) -> Int {
    var deepest = 0
    var pending: [(PHPArray, Int)] = [(array, 0)]
    while let (current, depth) = pending.popLast() {
        deepest = max(deepest, depth)
        for value in current.values { if let inner = value.arrayValue { pending.append((inner, depth + 1)) } }
    }
    return deepest
}

/// Checks the parse_str limits on a parsed array.
func checkLimits(_ array: PHPArray, _ limits: PHPQueryString.Limits) {
    precondition(array.count <= limits.maxVariableCount, "more variables than the limit")
    precondition(nestingDepth(array) <= max(limits.maxNestingLevel, 0), "nested deeper than the limit")
}

func info(_ head: [UInt8], _ flavour: WebSocketHandshake.Flavour, _ limits: PHPQueryString.Limits)
    -> WebSocketConnectInfo
{
    WebSocketConnectInfo(
        head: head.span, flavour: flavour, remoteAddress: "::1", remotePort: 50_000, serverPort: 8282, limits: limits)
}

func fuzzOne(_ bytes: [UInt8]) {
    guard let selector = bytes.first else { return }
    let head = Array(bytes.dropFirst())
    let limits =
        selector & 1 != 0 ? PHPQueryString.Limits(maxVariableCount: 4, maxNestingLevel: 3) : PHPQueryString.Limits()

    var infos: [WebSocketConnectInfo] = []
    for flavour in [WebSocketHandshake.Flavour.workerman4, .workerman5] {
        let result = info(head, flavour, limits)
        let body = result.serialized()
        guard let value = PHPUnserializer.unserialize(body) else { preconditionFailure("body must unserialize") }
        precondition(value == .array(result.array), "body unserializes to other arrays")
        precondition(PHPSerializer.serialize(value) == body, "re-serialization differs")
        let keys = result.server.keys
        let start = flavour == .workerman4 ? workerman4Start : workerman5Start
        precondition(Array(keys.prefix(start.count)) == start, "server keys start wrongly")
        precondition(flavour == .workerman5 || keys.last == "QUERY_STRING", "QUERY_STRING is not last")
        checkLimits(result.get, limits)
        if flavour == .workerman4 { checkLimits(result.cookie, limits) }
        if selector & 2 != 0 {
            let extended = head + [0x0D, 0x0A, 0x0D, 0x0A] + Array("GET /?late=1 HTTP/1.1\r\nX: y\r\n\r\n".utf8)
            precondition(info(extended, flavour, limits) == result, "bytes after the head changed the result")
        }
        infos.append(result)
    }
    if infos[0].server["QUERY_STRING"] != "" {
        precondition(infos[0].server["QUERY_STRING"] == infos[1].server["QUERY_STRING"], "flavours' queries differ")
        precondition(infos[0].get == infos[1].get, "flavours parse the same query differently")
    }

    checkLimits(PHPQueryString.parse(head, limits: limits), limits)
    if let query = PHPURL.query(in: head) {
        precondition(query.count < max(head.count, 1), "query longer than the target")
        precondition(!query.contains { $0 < 0x20 || $0 == 0x7F }, "control byte in a query")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
