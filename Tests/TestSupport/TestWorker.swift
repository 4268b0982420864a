import Glibc
import RingGateCodecs
import RingGateRuntime

/// A bare GatewayProtocol worker for end-to-end tests: one worker connection per gateway address
/// (as a BusinessWorker keeps), packets written as given, events read from whichever link has them.
/// Lets tests control bytes exactly (split packets, bad headers) where the worker kit would not.
public final class TestWorker {
    public struct Event {
        /// Index of the gateway address the event came from.
        public var link: Int
        public var packet: GatewayPacket
        public var command: GatewayCommand { packet.header.command }
        public var connectionID: UInt32 { packet.header.connectionID }
    }

    public let addresses: [SocketAddress]
    public let links: [TestClient]
    private var assemblers: [GatewayPacketAssembler]
    private var ready: [Event] = []

    /// Connects to every address (from `source`, another loopback address, when given) and, unless
    /// `authenticate` is false, registers as `workerKey`.
    public init(
        addresses: [SocketAddress], workerKey: String = "TestBW:0", secretKey: String = "", authenticate: Bool = true,
        source: String? = nil
    ) throws {
        self.addresses = addresses
        links = try addresses.map { try TestClient(port: $0.port, host: $0.host, source: source) }
        assemblers = addresses.map { _ in GatewayPacketAssembler() }
        if authenticate {
            for link in links.indices {
                try send(Self.workerConnect(workerKey: workerKey, secretKey: secretKey), link: link)
            }
        }
    }

    /// CMD_WORKER_CONNECT as BusinessWorker writes it (JSON in the body, flag 0x01).
    public static func workerConnect(workerKey: String, secretKey: String) -> GatewayPacket {
        let json = JSONWriter.encode(
            .object([("worker_key", .string(workerKey)), ("secret_key", .string(secretKey))]))
        return GatewayPacket(command: .workerConnect, flags: .bodyIsScalar, body: json)
    }

    /// CMD_GATEWAY_CLIENT_CONNECT as GatewayClient writes it.
    public static func gatewayClientConnect(secretKey: String) -> GatewayPacket {
        GatewayPacket(
            command: .gatewayClientConnect, flags: .bodyIsScalar,
            body: JSONWriter.encode(.object([("secret_key", .string(secretKey))])))
    }

    public func send(_ packet: GatewayPacket, link: Int) throws {
        try links[link].send(try packet.encoded())
    }

    public func send(_ packets: [GatewayPacket], link: Int) throws {
        var bytes: [UInt8] = []
        for packet in packets { bytes += try packet.encoded() }
        try links[link].send(bytes)
    }

    /// The next event from any link; throws after `timeoutSeconds` without one.
    public func nextEvent(timeoutSeconds: Double = 5) throws -> Event {
        let deadline = monotonicSeconds() + timeoutSeconds
        while ready.isEmpty {
            let remaining = deadline - monotonicSeconds()
            guard remaining > 0 else { throw TestClient.Failure.timedOut(have: 0, want: 1) }
            var descriptors = links.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            let count = poll(&descriptors, nfds_t(descriptors.count), Int32(remaining * 1000))
            guard count > 0 else { continue }
            for (link, descriptor) in descriptors.enumerated() where descriptor.revents != 0 {
                let bytes = try links[link].receiveAvailable()
                guard !bytes.isEmpty else { throw TestClient.Failure.closed(have: 0, want: 1) }
                assemblers[link].append(bytes)
                while let packet = try assemblers[link].nextPacket() { ready.append(Event(link: link, packet: packet)) }
            }
        }
        return ready.removeFirst()
    }

    /// The next event of command `command`, skipping others; throws after the timeout.
    public func nextEvent(_ command: GatewayCommand, timeoutSeconds: Double = 5) throws -> Event {
        while true {
            let event = try nextEvent(timeoutSeconds: timeoutSeconds)
            if event.command == command { return event }
        }
    }

    /// Sends `request` on a fresh connection to gateway `link` (optionally with the auth prefix, as
    /// GatewayClient does) and returns the reply payload.
    public func query(_ request: GatewayPacket, link: Int, secretKey: String? = nil) throws -> [UInt8] {
        let connection = try TestClient(port: addresses[link].port, host: addresses[link].host)
        var bytes: [UInt8] = []
        if let secretKey { bytes += try Self.gatewayClientConnect(secretKey: secretKey).encoded() }
        bytes += try request.encoded()
        try connection.send(bytes)
        let length = try connection.receive(exactly: 4).reduce(0) { $0 << 8 | Int($1) }
        return try connection.receive(exactly: length)
    }
}

extension TestClient {
    /// Whatever one recv returns (empty on EOF); throws on timeout.
    public func receiveAvailable() throws -> [UInt8] {
        guard try readSome() else { return [] }
        defer { removeReceived() }
        return received
    }
}
