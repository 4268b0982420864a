import RingGateCodecs

/// The packets a BusinessWorker or GatewayClient writes to a gateway (spec §4), byte for byte as PHP's
/// `Lib\Gateway` / GatewayClient produce them (§10.2 "Packets a real BusinessWorker sends").
///
/// Every function appends to a caller's buffer (usually a connection's output queue), so a command
/// costs no allocation of its own. PHP's encoder rule (§2.3) is applied by the callers' flags: a
/// scalar body (every message, and the empty body of the other commands) sets `FLAG_BODY_IS_SCALAR`;
/// only a kick without message carries a serialized `N;` with flag 0.
enum GatewayRequest {
    /// The largest packet the gateway accepts (workerman's 10 MiB); a bigger one would make it close
    /// the connection, so such a command is refused here.
    static let maxPackageLength = GatewayPacketAssembler.defaultMaxPackageLength

    /// `flag` for a message body: scalar, plus `FLAG_NOT_CALL_ENCODE` when `raw`.
    static func messageFlags(raw: Bool) -> GatewayFlags {
        raw ? [.bodyIsScalar, .notCallEncode] : .bodyIsScalar
    }

    /// Appends one packet; throws (and appends nothing) when it would exceed `maxPackageLength`.
    static func append(
        _ command: GatewayCommand, connectionID: UInt32 = 0, flags: GatewayFlags = .bodyIsScalar,
        ext: some GatewayMessage = [UInt8](), body: some GatewayMessage = [UInt8](), to buffer: inout [UInt8]
    ) throws(GatewayKitError) {
        let header: GatewayHeader
        do {
            header = try GatewayHeader(
                command: command, connectionID: connectionID, flags: flags, extByteCount: ext.gatewayByteCount,
                bodyByteCount: body.gatewayByteCount, maxPackageLength: maxPackageLength)
        } catch {
            throw .commandTooLarge(byteCount: GatewayHeader.byteCount + ext.gatewayByteCount + body.gatewayByteCount)
        }
        let needed = buffer.count + Int(header.packLength)
        if buffer.capacity < needed { buffer.reserveCapacity(max(needed, buffer.capacity * 2)) }
        header.encode(into: &buffer)
        ext.appendGatewayBytes(to: &buffer)
        body.appendGatewayBytes(to: &buffer)
    }

    /// CMD_WORKER_CONNECT: body `{"worker_key":"name:index","secret_key":"…"}` (PHP `json_encode`).
    static func workerConnect(workerKey: String, secretKey: String, to buffer: inout [UInt8]) {
        let body = JSONWriter.encode(
            .object([("worker_key", .string(workerKey)), ("secret_key", .string(secretKey))]))
        try! append(.workerConnect, body: body, to: &buffer)  // a few hundred bytes at most
    }

    /// CMD_GATEWAY_CLIENT_CONNECT: body `{"secret_key":"…"}`, written in front of every request on a
    /// query/command connection when a secret is configured (§4.3).
    static func gatewayClientConnect(secretKey: String) -> [UInt8] {
        var buffer: [UInt8] = []
        let body = JSONWriter.encode(.object([("secret_key", .string(secretKey))]))
        try! append(.gatewayClientConnect, body: body, to: &buffer)
        return buffer
    }

    /// A command for one client whose ext_data PHP writes only when not `empty()` (bind, join, session…).
    static func clientCommand(
        _ command: GatewayCommand, connectionID: UInt32, ext: some GatewayMessage & PHPEmptiness,
        to buffer: inout [UInt8]
    ) throws(GatewayKitError) {
        if ext.isPHPEmpty {
            try append(command, connectionID: connectionID, to: &buffer)
        } else {
            try append(command, connectionID: connectionID, ext: ext, to: &buffer)
        }
    }

    /// CMD_KICK: the goodbye message, or `N;` with flag 0 for none (§4.5).
    static func kick(connectionID: UInt32, message: (some GatewayMessage)?, to buffer: inout [UInt8])
        throws(GatewayKitError)
    {
        if let message {
            try append(.kick, connectionID: connectionID, body: message, to: &buffer)
        } else {
            try append(.kick, connectionID: connectionID, flags: [], body: "N;", to: &buffer)
        }
    }

    // MARK: ext_data JSON

    /// PHP's `json_encode` of `[cid => cid, …]`: an object `{"5":5}`, or a list when the keys happen to
    /// be 0, 1, 2, … (only possible with connection id 0, which real gateways never issue).
    static func connectionMap(_ connectionIDs: [UInt32]) -> JSONValue {
        var seen = Set<UInt32>()
        let unique = connectionIDs.filter { seen.insert($0).inserted }
        if unique.enumerated().allSatisfy({ $0.offset == Int($0.element) }) {
            return .array(unique.map { .number(JSONNumber(Int64($0))) })
        }
        return .object(unique.map { (String($0), .number(JSONNumber(Int64($0)))) })
    }

    /// sendToAll with client ids: `{"connections":{…}}`.
    static func connectionsExt(_ connectionIDs: [UInt32]) -> [UInt8] {
        JSONWriter.encode(.object([("connections", connectionMap(connectionIDs))]))
    }

    /// sendToAll with exclusions on this gateway: `{"exclude":{…}}`.
    static func excludeExt(_ connectionIDs: [UInt32]) -> [UInt8] {
        JSONWriter.encode(.object([("exclude", connectionMap(connectionIDs))]))
    }

    /// sendToGroup: `{"group":[…],"exclude":null}` or with this gateway's exclusions.
    static func groupExt(_ groups: [GatewayID], exclude connectionIDs: [UInt32]?) -> [UInt8] {
        JSONWriter.encode(
            .object([
                ("group", .array(groups.map(\.json))), ("exclude", connectionIDs.map(connectionMap) ?? .null),
            ]))
    }

    /// A JSON list of ids (sendToUid, the batch queries).
    static func idList(_ ids: [GatewayID]) -> [UInt8] {
        JSONWriter.encode(.array(ids.map(\.json)))
    }

    /// CMD_SELECT's `{"fields":[…],"where":…}`; an empty condition is PHP's empty array, `[]`.
    static func selectExt(fields: [String], where conditions: [(key: String, value: JSONValue)]) -> [UInt8] {
        JSONWriter.encode(
            .object([
                ("fields", .array(fields.map { .string($0) })),
                ("where", conditions.isEmpty ? .array([]) : .object(conditions)),
            ]))
    }
}

/// Values whose PHP `empty()` the encoders test before writing them as ext_data.
protocol PHPEmptiness {
    /// PHP `empty()`: true for `""` and `"0"`.
    var isPHPEmpty: Bool { get }
}

extension String: PHPEmptiness {
    var isPHPEmpty: Bool { isEmpty || self == "0" }
}

extension Array: PHPEmptiness where Element == UInt8 {
    var isPHPEmpty: Bool { isEmpty || self == [UInt8(ascii: "0")] }
}
