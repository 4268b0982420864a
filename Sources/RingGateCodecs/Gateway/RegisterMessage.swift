/// A message of the Register service protocol (spec §6): one JSON document per `\n`-terminated line.
public enum RegisterMessage: Hashable, Sendable {
    /// A gateway announces its inner address (`lanIp:lanPort`).
    case gatewayConnect(address: String, secretKey: String?)
    /// A worker or GatewayClient asks for the gateway list.
    case workerConnect(secretKey: String?)
    /// Keepalive; the Register does nothing with it.
    case ping
    /// The Register's list of gateway addresses, sent to workers. A list with gaps in its keys is
    /// written as a JSON object, as PHP does after a duplicate registration (spec §6).
    case broadcastAddresses(RegisterAddressList)

    /// The JSON document, without the line terminator.
    ///
    /// Byte-identical to PHP's output wherever PHP's output is valid JSON. `gateway_connect` is built
    /// by PHP by string concatenation (spaces after the commas, no escaping at all); RingGate keeps
    /// the layout but escapes what JSON requires (`"`, `\`, control characters), so a secret like
    /// `k"e/y` — for which PHP writes invalid JSON that no Register accepts — is written
    /// `k\"e/y`. `/` and non-ASCII stay raw there, as PHP writes them. The other messages are
    /// `json_encode` output in PHP and use `JSONWriter` (`/` → `\/`, non-ASCII → `\uXXXX`).
    /// A nil secret is written as `""`.
    public var encodedJSON: [UInt8] {
        switch self {
        case .gatewayConnect(let address, let secretKey):
            var writer = JSONWriter(escapesSlashes: false, escapesNonASCII: false)
            writer.bytes.append(contentsOf: #"{"event":"gateway_connect", "address":""#.utf8)
            writer.writeEscapedContents(address)
            writer.bytes.append(contentsOf: #"", "secret_key":""#.utf8)
            writer.writeEscapedContents(secretKey ?? "")
            writer.bytes.append(contentsOf: #""}"#.utf8)
            return writer.bytes
        case .workerConnect(let secretKey):
            return JSONWriter.encode(
                .object([("event", .string("worker_connect")), ("secret_key", .string(secretKey ?? ""))]))
        case .ping:
            return Array(#"{"event":"ping"}"#.utf8)
        case .broadcastAddresses(let addresses):
            return JSONWriter.encode(
                .object([
                    ("event", .string("broadcast_addresses")), ("addresses", addresses.jsonValue),
                ]))
        }
    }

    /// The JSON document followed by `\n`, ready for the Text-framed Register connection.
    public var encodedLine: [UInt8] {
        var line = encodedJSON
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// Interprets one line received on a Register connection, as PHP's Register and BusinessWorker
    /// do. Trailing `\r`/`\n` are ignored.
    public static func decode(line: borrowing Span<UInt8>) -> RegisterLine {
        var end = line.count
        while end > 0 && (line[end - 1] == UInt8(ascii: "\n") || line[end - 1] == UInt8(ascii: "\r")) { end -= 1 }
        guard let json = JSONParser.parse(line.extracting(0..<end)), case .object = json else {
            return .badRequest(reason: "not a JSON object")
        }
        guard let event = json["event"], !event.isPHPFalsy else { return .badRequest(reason: "no event") }
        guard let name = event.stringValue else {
            return .unknownEvent(String(decoding: JSONWriter.encode(event), as: UTF8.self))
        }
        switch name {
        case "gateway_connect":
            guard let address = json["address"], !address.isPHPFalsy, let addressText = address.stringValue else {
                return .invalidMessage(event: name, reason: "gateway_connect without a non-empty string address")
            }
            return .message(.gatewayConnect(address: addressText, secretKey: secret(in: json)))
        case "worker_connect":
            return .message(.workerConnect(secretKey: secret(in: json)))
        case "ping":
            return .message(.ping)
        case "broadcast_addresses":
            guard let values = json["addresses"]?.containerValues else {
                return .invalidMessage(event: name, reason: "broadcast_addresses without a list or object of addresses")
            }
            // Consumers iterate the values only, so the keys of an object are not kept.
            return .message(.broadcastAddresses(RegisterAddressList(values.compactMap(\.stringValue))))
        default:
            return .unknownEvent(name)
        }
    }

    /// Interprets one line (see `decode(line:)` for spans).
    public static func decode(line: [UInt8]) -> RegisterLine {
        decode(line: line.span)
    }

    /// `secret_key` as PHP compares it: missing or `null` means `""` (PHP's `isset` is false for both);
    /// any other non-string matches no secret (nil).
    private static func secret(in json: JSONValue) -> String? {
        guard let value = json["secret_key"], value != .null else { return "" }
        return value.stringValue
    }
}

/// What one received Register line means.
public enum RegisterLine: Hashable, Sendable {
    /// A message of the protocol.
    case message(RegisterMessage)
    /// Valid JSON with a non-empty `event` that names no known event; the Register closes the
    /// connection without a reply.
    case unknownEvent(String)
    /// A known event without what it needs (`gateway_connect` without a non-empty string `address`,
    /// `broadcast_addresses` without a list of addresses). The Register closes without a reply.
    case invalidMessage(event: String, reason: String)
    /// Not a JSON object with a non-empty `event`: the Register answers with its "Bad request" line and
    /// drops the connection.
    case badRequest(reason: String)
}
