extension RegisterRegistry {
    /// What the Register enforces.
    public struct Configuration: Equatable, Sendable {
        /// The cluster's secret (`secretKey` of the PHP Register). Compared byte for byte with every
        /// `gateway_connect` and `worker_connect`; a missing `secret_key` counts as `""`.
        public var secretKey: String
        /// A connection that does not authenticate within this time is closed (PHP: 10 s, spec §6).
        public var authTimeout: Duration
        /// The longest accepted line in bytes, without its `"\n"`; a longer one closes the connection.
        ///
        /// PHP's Text protocol allows 10 MiB (workerman's `maxPackageSize`). Real Register lines are
        /// about a hundred bytes (an address and a secret), so 64 KiB leaves room for any plausible
        /// secret while bounding what an unauthenticated peer can make the Register buffer.
        public var maxLineLength: Int
        /// The longest line before the connection authenticated (a registration line is an event, an
        /// address and the secret), so unauthenticated sockets hold little; a longer one closes.
        public var maxUnauthenticatedLineLength: Int
        /// Registered gateway connections at most; one more `gateway_connect` closes its connection.
        /// Each gateway process registers once per Register, so a large cluster has a few hundred.
        public var maxGateways: Int
        /// The longest address in bytes; a longer one closes its connection. A real one is
        /// `dotted-ip:port` (21 bytes at most); without a bound one line could make every broadcast
        /// to every worker 64 KiB long.
        public var maxAddressLength: Int
        /// How often one connection may change its announced address (PHP gateways never do); one
        /// more change closes it.
        public var maxAddressChanges: Int

        public init(
            secretKey: String = "", authTimeout: Duration = .seconds(10), maxLineLength: Int = 65_536,
            maxGateways: Int = 1024, maxAddressLength: Int = 256, maxAddressChanges: Int = 16,
            maxUnauthenticatedLineLength: Int = 8192
        ) {
            self.maxUnauthenticatedLineLength = maxUnauthenticatedLineLength
            self.secretKey = secretKey
            self.authTimeout = authTimeout
            self.maxLineLength = maxLineLength
            self.maxGateways = maxGateways
            self.maxAddressLength = maxAddressLength
            self.maxAddressChanges = maxAddressChanges
        }
    }

    /// A connection as the caller names it. Never reused while the registry knows the connection.
    public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
        public var rawValue: UInt64

        public init(_ rawValue: UInt64) {
            self.rawValue = rawValue
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String { "#\(rawValue)" }
    }

    /// What the caller must do, in order.
    public enum Action: Equatable, Sendable {
        /// Queue `bytes` for the connection.
        case send([UInt8], to: ConnectionID)
        /// Stop reading, flush what is queued for the connection, close it (log `reason`), then report
        /// `connectionClosed(_:)`. Lines that arrive meanwhile are ignored.
        case close(ConnectionID, reason: CloseReason)
        /// For the log: a gateway connection registered `address` (again, if it had already).
        case gatewayRegistered(ConnectionID, address: String)
        /// For the log: a registered gateway connection closed and `address` left the list.
        case gatewayUnregistered(ConnectionID, address: String)
        /// For the log: a worker or GatewayClient authenticated and was sent the list.
        case workerConnected(ConnectionID)
    }

    /// Why the Register closes a connection; one log line each.
    public enum CloseReason: Equatable, Sendable, CustomStringConvertible {
        /// No correctly keyed `gateway_connect` / `worker_connect` within `authTimeout` of connecting.
        case authTimeout
        /// A line that is not a JSON object with a non-empty `event`; the "Bad request" line was sent.
        case badRequest
        /// `gateway_connect` without a non-empty string `address` (PHP prints "address not found").
        case missingAddress
        /// `gateway_connect` or `worker_connect` with a `secret_key` other than the configured one.
        case secretMismatch(event: String)
        /// An event the Register does not serve (at most 64 characters of its name are kept).
        case unknownEvent(String)
        /// A line reached `maxLineLength` bytes without its `"\n"`.
        case lineTooLong(limit: Int)
        /// A `gateway_connect` address longer than `maxAddressLength` bytes.
        case addressTooLong(limit: Int)
        /// A new gateway while `maxGateways` were registered.
        case tooManyGateways(limit: Int)
        /// A gateway connection changed its address more than `maxAddressChanges` times.
        case tooManyAddressChanges(limit: Int)

        public var description: String {
            switch self {
            case .authTimeout: return "auth timeout"
            case .badRequest: return "bad request"
            case .missingAddress: return "gateway_connect without an address"
            case .secretMismatch(let event): return "\(event): secret key does not match"
            case .unknownEvent(let name): return "unknown event \(name)"
            case .lineTooLong(let limit): return "line longer than \(limit) bytes"
            case .addressTooLong(let limit): return "gateway address longer than \(limit) bytes"
            case .tooManyGateways(let limit): return "more than \(limit) gateways registered"
            case .tooManyAddressChanges(let limit): return "gateway changed its address more than \(limit) times"
            }
        }
    }

    /// Events since the registry was created.
    public struct Counters: Equatable, Sendable {
        /// Accepted `gateway_connect` lines (re-registrations included).
        public var gatewayRegistrations: UInt64 = 0
        /// Accepted `worker_connect` lines (every GatewayClient lookup is one).
        public var workerConnects: UInt64 = 0
        /// `gateway_connect` / `worker_connect` closed for a wrong secret.
        public var authFailures: UInt64 = 0
        /// Connections closed for sending no line within the auth timeout.
        public var authTimeouts: UInt64 = 0
        /// Lines answered with the "Bad request" line.
        public var badRequests: UInt64 = 0
        /// Connections closed for an unknown event or a `gateway_connect` without an address.
        public var invalidMessages: UInt64 = 0
        /// Connections closed for a line over `maxLineLength`.
        public var oversizedLines: UInt64 = 0
        /// `broadcast_addresses` lines queued, one per receiving worker connection.
        public var broadcastsSent: UInt64 = 0
        /// Connections closed for a `gateway_connect` address over `maxAddressLength`.
        public var oversizedAddresses: UInt64 = 0
        /// Connections closed for registering while `maxGateways` were registered.
        public var gatewayLimitRefusals: UInt64 = 0
        /// Connections closed for changing their address more than `maxAddressChanges` times.
        public var addressChangeLimitCloses: UInt64 = 0
        /// `connectionOpened` with an id still open (a caller bug; the new connection is refused).
        public var reusedConnectionIDs: UInt64 = 0

        public init() {}
    }
}
