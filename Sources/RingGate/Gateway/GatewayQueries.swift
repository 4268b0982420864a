import RingGateCodecs

/// Replies to the query commands (spec §2.4, §4.6–4.8): each returns the PHP-serialized payload, without
/// the u32 length prefix (`GatewayQueryReply.append` adds it). Payloads are written token by token from
/// the tables, in the orders PHP's arrays would have, with keys PHP-normalised (§9.3).
///
/// A reply that can grow with the tables takes a `limit` in bytes: once its payload passes it, writing
/// stops and the reply is nil (abandoned, never built in full); the shard closes the asking link.
extension GatewayClientTable {
    /// CMD_IS_ONLINE (11): `i:1;` or `i:0;`.
    func isOnlineReply(_ connectionID: UInt32) -> [UInt8] {
        Array((contains(connectionID) ? "i:1;" : "i:0;").utf8)
    }

    /// CMD_GET_ALL_CLIENT_SESSIONS (10): `cid => session string` for every client in connect order,
    /// sessions embedded as `s:` strings (`s:0:"";` when empty).
    func allClientSessionsReply(limit: Int = .max) -> [UInt8]? {
        var writer = PHPSerializedWriter()
        writer.beginArray(count: count)
        for record in clients {
            writer.writeInt(Int64(record.connectionID))
            writer.writeString(record.session)
            if writer.bytes.count > limit { return nil }
        }
        writer.endArray()
        return writer.bytes
    }

    /// CMD_GET_CLIENT_SESSIONS_BY_GROUP (23): like 10, restricted to the members of the group named by
    /// ext_data, in join order; `a:0:{}` for an unknown group.
    func clientSessionsByGroupReply(_ group: [UInt8], limit: Int = .max) -> [UInt8]? {
        let members = members(of: PHPKey(normalizing: group))
        var writer = PHPSerializedWriter()
        writer.beginArray(count: members.count)
        for member in members {
            writer.writeInt(Int64(member))
            writer.writeString(self[member]?.session ?? [])
            if writer.bytes.count > limit { return nil }
        }
        writer.endArray()
        return writer.bytes
    }

    /// CMD_GET_CLIENT_COUNT_BY_GROUP (24): `i:N;` — all clients for an empty ext_data, else the group's
    /// member count (0 when unknown; `"0"` is looked up like any group and finds nothing).
    func clientCountByGroupReply(_ group: [UInt8]) -> [UInt8] {
        let number = group.isEmpty ? count : members(of: PHPKey(normalizing: group)).count
        var writer = PHPSerializedWriter()
        writer.writeInt(Int64(number))
        return writer.bytes
    }

    /// CMD_GET_CLIENT_ID_BY_UID (15): the uid's cids as a list of integers in bind order, `a:0:{}` if none.
    func clientIDsByUIDReply(_ uid: [UInt8], limit: Int = .max) -> [UInt8]? {
        var writer = PHPSerializedWriter()
        guard Self.writeList(connectionIDs(boundTo: PHPKey(normalizing: uid)), to: &writer, limit: limit) else {
            return nil
        }
        return writer.bytes
    }

    /// CMD_BATCH_GET_CLIENT_ID_BY_UID (16): for each uid of the JSON list (or object values) in order,
    /// `key(uid) => list of cids`; duplicates collapse onto the first position. Invalid JSON → `a:0:{}`.
    func batchClientIDsByUIDReply(_ extData: [UInt8], limit: Int = .max) -> [UInt8]? {
        Self.batchReply(extData, limit: limit) { key, writer in
            Self.writeList(connectionIDs(boundTo: key), to: &writer, limit: limit)
        }
    }

    /// CMD_GET_GROUP_ID_LIST (26): existing groups in creation order as a list; numeric-string ids are
    /// written as integers.
    func groupIDListReply(limit: Int = .max) -> [UInt8]? {
        var writer = PHPSerializedWriter()
        writer.beginArray(count: groupOrder.count)
        for (position, group) in groupOrder.enumerated() {
            writer.writeInt(Int64(position))
            writer.writeKey(group)
            if writer.bytes.count > limit { return nil }
        }
        writer.endArray()
        return writer.bytes
    }

    /// CMD_BATCH_GET_CLIENT_COUNT_BY_GROUP (28): for each group of the JSON list in order,
    /// `key(group) => member count` (0 when unknown). Invalid JSON → `a:0:{}`.
    func batchClientCountByGroupReply(_ extData: [UInt8], limit: Int = .max) -> [UInt8]? {
        Self.batchReply(extData, limit: limit) { key, writer in
            writer.writeInt(Int64(members(of: key).count))
            return true
        }
    }

    /// The shape both batch queries answer with: `key => value` for each key of the JSON list in ext_data,
    /// in order, duplicates collapsed; `writeValue` writes the value for one key (false: over `limit`).
    private static func batchReply(
        _ extData: [UInt8], limit: Int, writeValue: (PHPKey, inout PHPSerializedWriter) -> Bool
    ) -> [UInt8]? {
        let keys = jsonKeys(extData)
        var writer = PHPSerializedWriter()
        writer.beginArray(count: keys.count)
        for key in keys {
            writer.writeKey(key)
            guard writeValue(key, &writer), writer.bytes.count <= limit else { return nil }
        }
        writer.endArray()
        return writer.bytes
    }

    /// `a:n:{i:0;i:cid;…}`; false (stopped) once the writer holds more than `limit` bytes.
    @discardableResult
    static func writeList(
        _ ids: InsertionOrderedSet<UInt32>, to writer: inout PHPSerializedWriter, limit: Int = .max
    ) -> Bool {
        writer.beginArray(count: ids.count)
        for (position, id) in ids.enumerated() {
            writer.writeInt(Int64(position))
            writer.writeInt(Int64(id))
            if writer.bytes.count > limit { return false }
        }
        writer.endArray()
        return true
    }

    /// The distinct PHP keys of the values of a JSON list or object, in order (`foreach` over
    /// `json_decode(ext, true)` assigning `$result[$value]`). Empty for invalid JSON or a scalar; arrays
    /// and objects as items are skipped (PHP would throw on them as keys).
    static func jsonKeys(_ extData: [UInt8]) -> InsertionOrderedSet<PHPKey> {
        guard let values = JSONParser.parse(extData)?.containerValues else { return [] }
        return InsertionOrderedSet(values.lazy.compactMap { PHPKey(json: $0) })
    }
}

/// Frames query replies for the inner connection (spec §2.4).
enum GatewayQueryReply {
    /// Appends `u32 BE length ‖ payload` to `buffer`.
    static func append(_ payload: [UInt8], to buffer: inout [UInt8]) {
        GatewayReply.encode(payload: payload.span, into: &buffer)
    }
}
