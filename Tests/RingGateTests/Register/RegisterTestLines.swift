/// Register lines exactly as the PHP peers write them (spec §6, §10.2), for the registry and server tests.
enum RegisterTestLines {
    /// What a PHP gateway sends: built by string concatenation, spaces after the commas, the secret
    /// not escaped at all.
    static func phpGatewayConnect(_ address: String, secret: String = "") -> String {
        #"{"event":"gateway_connect", "address":""# + address + #"", "secret_key":""# + secret + #""}"# + "\n"
    }

    /// What a PHP BusinessWorker or GatewayClient sends (`json_encode`, so `/` is `\/`).
    static func phpWorkerConnect(secret: String = "") -> String {
        var escaped = ""
        for character in secret {
            if character == "\\" || character == "\"" || character == "/" { escaped.append("\\") }
            escaped.append(character)
        }
        return #"{"event":"worker_connect","secret_key":""# + escaped + #""}"# + "\n"
    }

    static let ping = #"{"event":"ping"}"# + "\n"

    /// The broadcast a worker receives for distinct addresses.
    static func broadcast(_ addresses: [String]) -> [UInt8] {
        let list = addresses.map { "\"\($0)\"" }.joined(separator: ",")
        return Array((#"{"event":"broadcast_addresses","addresses":["# + list + "]}\n").utf8)
    }

    /// §10.2, the list after a duplicate registration in the middle.
    static let objectFormBroadcast = Array(
        (#"{"event":"broadcast_addresses","addresses":{"0":"127.0.0.1:2900","1":"10.0.0.1:2900","3":"10.0.0.2:2900"}}"#
            + "\n").utf8)

    /// The PHP Register's reply to a bad line.
    static func badRequest(ip: String = "127.0.0.1", buffer: String) -> [UInt8] {
        Array(
            ("Bad request for Register service. Request info(IP:\(ip), Request Buffer:\(buffer)). "
                + "See http://doc2.workerman.net/register-auth-timeout.html\n").utf8)
    }
}
