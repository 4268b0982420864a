import RingGateCodecs

/// CMD_SELECT (25), spec §4.9: `{"fields":[…], "where":{…}}` → `cid => [field => value]`.
///
/// Follows PHP's Gateway exactly, including its accidents: `where` keys are processed in JSON order and
/// their results are united (not intersected); an empty or falsy `where` selects everyone; with a
/// `where`, every matched client appears even when no field is requested, without one only clients that
/// got a field appear; `connection_id` re-writes an entry already found (its position is kept).
struct SelectQuery {
    /// A requested field.
    enum Field: Equatable {
        /// The bound uid string, or null.
        case uid
        /// `key(group) => group string`, null if never joined, `a:0:{}` if left all.
        case groups
        /// The raw session as a string.
        case session
        /// Any other name: PHP returns a property of its connection object; here always null.
        case unknown
    }

    /// The result keys (PHP-normalised field names) and what each reports, in request order.
    var fields: [(key: PHPKey, field: Field)]
    /// The `where` condition, nil when falsy (everyone).
    var condition: JSONValue?

    /// Parses ext_data; nil when it is not JSON or decodes to a falsy value (reply `a:0:{}`).
    init?(extData: [UInt8]) {
        guard let json = JSONParser.parse(extData), !json.isPHPFalsy else { return nil }
        var fields: [(key: PHPKey, field: Field)] = []
        var seen = Set<PHPKey>()  // a set, not a scan: 300,000 fields must not cost 300,000² comparisons
        for name in json["fields"]?.containerValues ?? [] {
            guard let key = PHPKey(json: name) else { continue }  // PHP throws on an array as a key
            guard seen.insert(key).inserted else { continue }
            let field: Field =
                switch key {
                case .string(let text) where text == Array("uid".utf8): .uid
                case .string(let text) where text == Array("groups".utf8): .groups
                case .string(let text) where text == Array("session".utf8): .session
                default: .unknown
                }
            fields.append((key, field))
        }
        self.fields = fields
        let condition = json["where"]
        self.condition = condition.flatMap { $0.isPHPFalsy ? nil : $0 }
    }

    /// The clients selected from `table`, in discovery order.
    func matches(in table: GatewayClientTable) -> InsertionOrderedSet<UInt32> {
        guard let condition else {
            return fields.isEmpty ? [] : InsertionOrderedSet(table.connectionIDs)
        }
        guard case .object(let members) = condition else { return [] }  // a list has no such keys
        var result = InsertionOrderedSet<UInt32>()
        for (name, items) in JSONValue.phpOrderedMembers(members) {
            let values = items.containerValues ?? []
            switch name {
            case "connection_id":
                for id in values.lazy.compactMap(GatewayKeys.connectionID(json:)) where table.contains(id) {
                    result.append(id)
                }
            case "groups", "uid":
                for key in values.lazy.compactMap({ PHPKey(json: $0) }) {
                    let ids = name == "uid" ? table.connectionIDs(boundTo: key) : table.members(of: key)
                    for id in ids { result.append(id) }
                }
            default:
                continue
            }
        }
        return result
    }

    /// The reply payload for `table`; nil as soon as it passes `limit` bytes (clients × fields can be
    /// far larger than the request).
    func reply(in table: GatewayClientTable, limit: Int = .max) -> [UInt8]? {
        let selected = matches(in: table)
        var writer = PHPSerializedWriter()
        writer.beginArray(count: selected.count)
        for id in selected {
            writer.writeInt(Int64(id))
            writer.beginArray(count: fields.count)
            let record = table[id]
            for (key, field) in fields {
                writer.writeKey(key)
                Self.write(field, of: record, to: &writer)
                if writer.bytes.count > limit { return nil }
            }
            writer.endArray()
        }
        writer.endArray()
        return writer.bytes
    }

    private static func write(_ field: Field, of record: GatewayClientRecord?, to writer: inout PHPSerializedWriter) {
        switch field {
        case .uid:
            if let uid = record?.uid { writer.writeString(uid.textBytes) } else { writer.writeNull() }
        case .session:
            if let session = record?.session { writer.writeString(session) } else { writer.writeNull() }
        case .groups:
            guard let groups = record?.groups else { return writer.writeNull() }
            writer.beginArray(count: groups.count)
            for group in groups {
                writer.writeKey(group)
                writer.writeString(group.textBytes)
            }
            writer.endArray()
        case .unknown:
            writer.writeNull()
        }
    }
}

extension GatewayClientTable {
    /// CMD_SELECT (25) reply payload; `a:0:{}` for invalid or falsy JSON; nil past `limit` bytes.
    func selectReply(_ extData: [UInt8], limit: Int = .max) -> [UInt8]? {
        guard let query = SelectQuery(extData: extData) else { return Array("a:0:{}".utf8) }
        return query.reply(in: self, limit: limit)
    }
}
