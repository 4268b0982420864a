import RingGateCodecs

/// The Register service (spec §6) as a state machine: which connections are gateways and with what
/// address, which are workers, and what each received line makes the Register send or close.
///
/// It performs no I/O and reads no clock. The caller reports connections opened and closed, bytes
/// received and the passing of time, and performs the returned actions in order; `RegisterServer` does
/// that on sockets, the tests with plain values. The rules are those of GatewayWorker v4.0.0's PHP
/// Register, so PHP gateways, BusinessWorkers and GatewayClient cannot tell the difference:
///
/// - A connection must authenticate (a correctly keyed `gateway_connect` or `worker_connect`) within
///   `authTimeout`, or it is closed; there is no idle timeout afterwards. (PHP cancels its timer on any
///   line, even a `ping`; then one idle socket per line could hold a slot forever.)
/// - `gateway_connect`: without a non-empty `address` → close; wrong secret → close (no reply); else
///   the connection's address is set (a repeat keeps the connection's place in the list) and the list
///   is due for a broadcast to every worker connection.
/// - `worker_connect`: wrong secret → close; else the list is sent to this connection, which then
///   receives every later broadcast.
/// - `ping` → nothing. A line that is not a JSON object with a non-empty `event` → the "Bad request"
///   line, then close. Any other event (`broadcast_addresses` included) → close without a reply.
/// - A registered gateway's connection closing removes its address and broadcasts the list again.
///
/// Broadcasts are coalesced: the list is state, so the caller asks for `pendingBroadcast()` once per
/// loop turn (at most once per short interval) and workers get only the latest list, and nothing when
/// the list's bytes did not change (a gateway re-announcing its address changes nothing). PHP
/// broadcasts on every registration, so `gateway_connect` spam would fan out to every worker.
/// Further bounds no PHP peer comes near: an address of at most `maxAddressLength` bytes, at most
/// `maxGateways` registered gateway connections, at most `maxAddressChanges` changes of one
/// connection's address; past each, the connection is closed.
///
/// The list is `array_unique` of the registered addresses in registration order, so after a duplicate
/// in the middle it is a JSON object (`RegisterAddressList`). Connections being closed get no more
/// broadcasts (workerman refuses to send on a closing connection) but a closing gateway stays listed
/// until its close is reported, as in PHP, where `onClose` runs only once the socket is gone.
///
/// Deviations, all for input no PHP peer sends: a non-string `address` closes like a missing one
/// (PHP would list it), `"event":true` is an unknown event (PHP's loose `switch` takes it for
/// `gateway_connect`), and a line is refused past `maxLineLength` bytes rather than 10 MiB.
public struct RegisterRegistry {
    public let configuration: Configuration
    public private(set) var counters = Counters()

    /// One open connection.
    private struct Connection {
        /// The peer's IP as PHP's `getRemoteIp()` prints it (no port, no brackets), for the
        /// "Bad request" line.
        var peerIP: String
        /// When the connection is closed unless it authenticates first; nil once it did (or is closing).
        var authDeadline: ContinuousClock.Instant?
        /// A correctly keyed `gateway_connect` or `worker_connect` arrived: never evicted for a newcomer.
        var isAuthenticated = false
        /// How often a registered gateway announced a different address on this connection.
        var addressChanges = 0
        /// The `listGeneration` a worker was last sent, so a worker that got the list in its
        /// `worker_connect` reply is not sent the same list again by the coalesced broadcast.
        var sentGeneration: UInt64 = 0
        var decoder = TextDecoder()
        /// The bytes of the current line that earlier inputs carried.
        var partialLine: [UInt8] = []
        /// A close was requested; input is ignored and no broadcast is sent.
        var isClosing = false
    }

    private var connections: [ConnectionID: Connection] = [:]
    /// Registered gateway connections in order of their first registration (PHP array order).
    private var gatewayOrder = InsertionOrderedSet<ConnectionID>()
    private var gatewayAddresses: [ConnectionID: String] = [:]
    /// Authenticated worker (and GatewayClient) connections, in order of authentication.
    private var workers = InsertionOrderedSet<ConnectionID>()
    private let framing: TextFraming
    /// The list changed since `lastBroadcastLine` was made; `pendingBroadcast()` will compare.
    private var listChanged = false
    /// Counts list changes; see `Connection.sentGeneration`.
    private var listGeneration: UInt64 = 0
    /// The last list broadcast to the workers (the empty list before any).
    private var lastBroadcastLine: [UInt8]

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        let (limit, overflow) = max(0, configuration.maxLineLength).addingReportingOverflow(1)
        framing = TextFraming(maxMessageLength: overflow ? Int.max : limit)
        lastBroadcastLine = RegisterMessage.broadcastAddresses(RegisterAddressList(uniquing: [])).encodedLine
    }

    // MARK: State

    /// Open connections, closing ones included.
    public var connectionCount: Int { connections.count }
    /// Registered gateway connections (two connections with one address count twice).
    public var gatewayCount: Int { gatewayOrder.count }
    /// Authenticated worker connections.
    public var workerCount: Int { workers.count }

    /// The list a worker would be sent now.
    public var addresses: RegisterAddressList {
        RegisterAddressList(uniquing: gatewayOrder.map { gatewayAddresses[$0] ?? "" })
    }

    /// Whether `pendingBroadcast()` has work: the list may have changed since the last broadcast.
    public var hasBroadcastPending: Bool { listChanged }

    /// The oldest connection that has not authenticated (or is closing anyway), to make room for a
    /// newcomer when the connection table is full; nil when every connection is an authenticated peer.
    public var oldestUnauthenticated: ConnectionID? {
        connections.lazy.filter { !$0.value.isAuthenticated || $0.value.isClosing }.map(\.key).min()
    }

    /// The earliest auth deadline of any connection, for the caller's wait; nil when none is pending.
    public var nextDeadline: ContinuousClock.Instant? {
        connections.values.compactMap(\.authDeadline).min()
    }

    // MARK: Events

    /// A connection was accepted from `peerIP` at `now`; its auth timer starts. Returns false (and
    /// counts it) when `id` is still open: the caller must close the new connection, the old one stays.
    @discardableResult
    public mutating func connectionOpened(_ id: ConnectionID, peerIP: String, now: ContinuousClock.Instant) -> Bool {
        guard connections[id] == nil else {
            counters.reusedConnectionIDs += 1
            return false
        }
        connections[id] = Connection(peerIP: peerIP, authDeadline: now + configuration.authTimeout)
        return true
    }

    /// Bytes arrived on a connection: frames them into `"\n"`-terminated lines and handles each.
    public mutating func bytesReceived(_ bytes: ArraySlice<UInt8>, from id: ConnectionID) -> [Action] {
        guard connections[id]?.isClosing == false else { return [] }
        var buffer = Array(bytes)
        var actions: [Action] = []
        var offset = 0
        while offset < buffer.count, let connection = connections[id], !connection.isClosing {
            var decoder = connection.decoder
            let step: DecodeStep
            do {
                var input = buffer.mutableSpan
                step = try decoder.decode(&input, from: offset, options: framing)
            } catch {
                counters.oversizedLines += 1
                actions.append(close(id, .lineTooLong(limit: configuration.maxLineLength)))
                break
            }
            connections[id]?.decoder = decoder
            offset = step.nextOffset
            guard case .messageBytes(let range, let isMessageEnd) = step.event else { break }
            // Before authentication a line is a registration of a few hundred bytes: 4,096 idle
            // sockets must not each hold a 64 KiB partial line.
            let unauthenticatedLimit = min(configuration.maxUnauthenticatedLineLength, configuration.maxLineLength)
            if !connection.isAuthenticated, connection.partialLine.count + range.count > unauthenticatedLimit {
                counters.oversizedLines += 1
                actions.append(close(id, .lineTooLong(limit: unauthenticatedLimit)))
                break
            }
            if !isMessageEnd {
                connections[id]?.partialLine.append(contentsOf: buffer[range])
                continue
            }
            var line = connections[id]?.partialLine ?? []
            connections[id]?.partialLine = []
            line.append(contentsOf: buffer[range])
            actions += lineReceived(line, from: id)
        }
        buffer.removeAll()
        return actions
    }

    /// One complete line (without its `"\n"`) arrived on a connection.
    public mutating func lineReceived(_ line: [UInt8], from id: ConnectionID) -> [Action] {
        guard let connection = connections[id], !connection.isClosing else { return [] }
        // workerman's Text protocol strips every trailing "\r" and "\n" (spec §8.1).
        let trimmed = Array(line[..<TextDecoder.trimmedLength(of: line.span)])
        switch RegisterMessage.decode(line: trimmed) {
        case .badRequest:
            counters.badRequests += 1
            return [
                .send(Self.badRequestLine(peerIP: connection.peerIP, buffer: trimmed), to: id), close(id, .badRequest),
            ]
        case .unknownEvent(let name):
            counters.invalidMessages += 1
            return [close(id, .unknownEvent(String(name.prefix(64))))]
        case .invalidMessage(let event, _):
            counters.invalidMessages += 1
            // Only gateway_connect is a Register event; an incomplete broadcast_addresses is unknown here.
            return [close(id, event == "gateway_connect" ? .missingAddress : .unknownEvent(String(event.prefix(64))))]
        case .message(.ping):
            return []
        case .message(.broadcastAddresses):
            counters.invalidMessages += 1
            return [close(id, .unknownEvent("broadcast_addresses"))]
        case .message(.gatewayConnect(let address, let secretKey)):
            guard secretMatches(secretKey) else {
                counters.authFailures += 1
                return [close(id, .secretMismatch(event: "gateway_connect"))]
            }
            return gatewayConnected(id, address: address)
        case .message(.workerConnect(let secretKey)):
            guard secretMatches(secretKey) else {
                counters.authFailures += 1
                return [close(id, .secretMismatch(event: "worker_connect"))]
            }
            authenticate(id)
            connections[id]?.sentGeneration = listGeneration
            counters.workerConnects += 1
            counters.broadcastsSent += 1
            workers.append(id)
            return [.workerConnected(id), .send(broadcastLine(), to: id)]
        }
    }

    /// A connection is gone (closed by the caller after a `.close`, or by its peer). A registered
    /// gateway leaves the list, and the list is due for a broadcast again.
    public mutating func connectionClosed(_ id: ConnectionID) -> [Action] {
        guard connections.removeValue(forKey: id) != nil else { return [] }
        workers.remove(id)
        guard gatewayOrder.remove(id), let address = gatewayAddresses.removeValue(forKey: id) else { return [] }
        markListChanged()
        return [.gatewayUnregistered(id, address: address)]
    }

    /// The coalesced broadcast: the current list to every worker connection that is not closing, if
    /// its bytes differ from the last one broadcast; nothing otherwise.
    public mutating func pendingBroadcast() -> [Action] {
        guard listChanged else { return [] }
        listChanged = false
        let line = broadcastLine()
        guard line != lastBroadcastLine else { return [] }
        lastBroadcastLine = line
        var actions: [Action] = []
        for worker in workers {
            guard let connection = connections[worker], !connection.isClosing else { continue }
            guard connection.sentGeneration != listGeneration else { continue }  // got it in its reply
            connections[worker]?.sentGeneration = listGeneration
            actions.append(.send(line, to: worker))
        }
        counters.broadcastsSent += UInt64(actions.count)
        return actions
    }

    private mutating func markListChanged() {
        listChanged = true
        listGeneration += 1
    }

    /// The clock reads `now`: closes every connection whose auth deadline passed.
    public mutating func timeElapsed(now: ContinuousClock.Instant) -> [Action] {
        let expired = connections.filter { $0.value.authDeadline.map { $0 <= now } ?? false }.keys.sorted()
        return expired.map { id in
            counters.authTimeouts += 1
            return close(id, .authTimeout)
        }
    }

    // MARK: Helpers

    /// The exact reply of the PHP Register to a bad line (then it closes), `"\n"`-terminated by the Text
    /// protocol. `buffer` is the line as received, minus trailing `"\r"`/`"\n"`, byte for byte.
    public static func badRequestLine(peerIP: String, buffer: [UInt8]) -> [UInt8] {
        var line = Array("Bad request for Register service. Request info(IP:\(peerIP), Request Buffer:".utf8)
        line += buffer
        line += Array("). See http://doc2.workerman.net/register-auth-timeout.html\n".utf8)
        return line
    }

    /// PHP's `$secret_key !== $this->secretKey`: byte equality (Swift's `==` would also accept a
    /// canonically equivalent spelling), in constant time; a non-string secret (nil) never matches.
    private func secretMatches(_ secretKey: String?) -> Bool {
        guard let secretKey else { return false }
        return SecretKeyComparison.matches(secretKey, secret: configuration.secretKey)
    }

    /// A correctly keyed `gateway_connect`: bounded address, bounded gateway count, bounded address
    /// changes; then the connection is (still) listed, and the list is due for a broadcast if it changed.
    private mutating func gatewayConnected(_ id: ConnectionID, address: String) -> [Action] {
        guard address.utf8.count <= configuration.maxAddressLength else {
            counters.oversizedAddresses += 1
            return [close(id, .addressTooLong(limit: configuration.maxAddressLength))]
        }
        let previous = gatewayAddresses[id]
        if previous == nil, gatewayOrder.count >= configuration.maxGateways {
            counters.gatewayLimitRefusals += 1
            return [close(id, .tooManyGateways(limit: configuration.maxGateways))]
        }
        if let previous, previous != address {
            let changes = (connections[id]?.addressChanges ?? 0) + 1
            connections[id]?.addressChanges = changes
            guard changes <= configuration.maxAddressChanges else {
                counters.addressChangeLimitCloses += 1
                return [close(id, .tooManyAddressChanges(limit: configuration.maxAddressChanges))]
            }
        }
        authenticate(id)
        counters.gatewayRegistrations += 1
        guard previous != address else { return [] }  // a repeat changes nothing
        gatewayOrder.append(id)
        gatewayAddresses[id] = address
        markListChanged()
        return [.gatewayRegistered(id, address: address)]
    }

    private mutating func authenticate(_ id: ConnectionID) {
        connections[id]?.isAuthenticated = true
        connections[id]?.authDeadline = nil
    }

    private mutating func close(_ id: ConnectionID, _ reason: CloseReason) -> Action {
        connections[id]?.isClosing = true
        connections[id]?.authDeadline = nil
        connections[id]?.partialLine = []
        return .close(id, reason: reason)
    }

    private func broadcastLine() -> [UInt8] {
        RegisterMessage.broadcastAddresses(addresses).encodedLine
    }
}
