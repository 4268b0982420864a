/// The `addresses` member of `broadcast_addresses`: gateway addresses under PHP integer keys.
///
/// The PHP Register builds it as `array_unique(array_values($gatewayConnections))`: one entry per
/// registered gateway connection in registration order, numbered from 0, and every address kept only
/// at the key of its first occurrence. `json_encode` writes a PHP array whose keys are exactly
/// `0..<count` as a JSON list and any other as an object, so the list turns into
/// `{"0":"127.0.0.1:2900","1":"10.0.0.1:2900","3":"10.0.0.2:2900"}` as soon as a duplicate precedes a
/// distinct address (spec §6, §10.2). Consumers (BusinessWorker, GatewayClient) iterate the values.
public struct RegisterAddressList: Hashable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// One address and its PHP array key.
    public struct Entry: Hashable, Sendable {
        /// The PHP array key: the position of the address among all registrations.
        public var key: Int
        /// The gateway's inner address, `lanIp:lanPort`.
        public var address: String

        public init(key: Int, address: String) {
            self.key = key
            self.address = address
        }
    }

    /// The entries in PHP array order (ascending keys).
    public let entries: [Entry]

    /// A list of `addresses` keyed `0..<count`, taken as they are (no de-duplication).
    public init(_ addresses: [String]) {
        entries = addresses.enumerated().map { Entry(key: $0.offset, address: $0.element) }
    }

    public init(arrayLiteral addresses: String...) {
        self.init(addresses)
    }

    /// What the PHP Register broadcasts for `registrations` (one address per registered gateway
    /// connection, in registration order): `array_unique(array_values(…))`.
    ///
    /// `array_unique` compares the strings byte for byte, so two addresses that Swift's `==` calls equal
    /// (canonically equivalent Unicode) but that are spelled differently are both kept, as in PHP.
    public init(uniquing registrations: some Sequence<String>) {
        var seen = Set<[UInt8]>()
        var entries: [Entry] = []
        for (key, address) in registrations.enumerated() where seen.insert(Array(address.utf8)).inserted {
            entries.append(Entry(key: key, address: address))
        }
        self.entries = entries
    }

    /// The addresses in order, without their keys (what consumers iterate).
    public var addresses: [String] { entries.map(\.address) }

    /// Whether `json_encode` writes a JSON list (keys are `0..<count`) rather than an object.
    public var isList: Bool {
        entries.enumerated().allSatisfy { $0.offset == $0.element.key }
    }

    /// The JSON value PHP's `json_encode` produces: a list, or an object keyed by the decimal keys.
    public var jsonValue: JSONValue {
        if isList { return .array(entries.map { .string($0.address) }) }
        return .object(entries.map { (key: String($0.key), value: .string($0.address)) })
    }

    public var description: String {
        String(decoding: JSONWriter.encode(jsonValue, escapesSlashes: false, escapesNonASCII: false), as: UTF8.self)
    }
}
