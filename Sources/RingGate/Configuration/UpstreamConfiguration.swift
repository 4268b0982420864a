import RingGateCodecs
import RingGateRuntime

/// The GatewayWorker side of a gateway: where workers and GatewayClient reach each shard, the
/// Register it announces itself to, the shared secret, routing and the client heartbeat (spec §5–§7).
///
/// Shard i is one gateway in the cluster's eyes: it listens on `lanIP:(startPort + i)`, issues
/// client_ids carrying that address and registers it, exactly as the i-th PHP gateway process does.
public struct UpstreamConfiguration: Sendable {
    /// How a client without a live worker binding picks one (spec §5.3).
    public enum Router: String, Sendable, CaseIterable {
        /// The worker with the fewest bound clients; ties go to the earliest registered (default).
        case leastConnections = "least-connections"
        /// A uniformly random worker.
        case random
    }

    /// The dotted IPv4 address workers reach the gateway on; it is encoded into every client_id.
    public private(set) var lanIP: String
    /// `lanIP` as the u32 the headers carry.
    public private(set) var lanIPv4: UInt32
    /// Inner port of shard 0; shard i listens on `startPort + i`.
    public var startPort: UInt16
    /// Register services (`ip:port`) to announce every shard's address to; empty: none (workers are
    /// then pointed at the inner addresses directly).
    public var registerAddresses: [SocketAddress] = []
    /// Compared with the `secret_key` of workers, GatewayClient and the Register (empty: none).
    public var secretKey: String = ""
    /// Client heartbeat period in nanoseconds (PHP `pingInterval`); 0 disables the heartbeat.
    public var pingIntervalNanoseconds: UInt64 = 0
    /// Silent intervals before a client is closed (PHP `pingNotResponseLimit`); 0 never closes.
    public var pingNotResponseLimit: Int = 0
    /// Sent to silent clients through their framing every interval (PHP `pingData`); empty: nothing.
    public var pingData: [UInt8] = []
    public var router: Router = .leastConnections
    /// Bytes queued for one worker or GatewayClient connection beyond which client events for it are
    /// dropped (PHP `sendToWorkerBufferSize`).
    public var workerSendQueueLimit = 10_240_000
    /// Largest GatewayProtocol packet accepted from workers (inclusive, spec §2.2).
    public var maxPackageLength = GatewayPacketAssembler.defaultMaxPackageLength
    /// Interval of CMD_PING to workers and of Register pings (25 s in PHP; sent only off loopback).
    public var keepaliveNanoseconds: UInt64 = 25_000_000_000
    /// Delay before reconnecting to a Register after a close or failed connect (1 s in PHP).
    public var registerRetryNanoseconds: UInt64 = 1_000_000_000
    /// Inner connections (workers, GatewayClient) one shard holds at once: the size of its upstream
    /// ring's file table. When it is full, the oldest link that never authenticated makes room.
    public var innerConnectionLimit = 4_096
    /// Worker keys one shard knows at once (live, or kept for clients still bound to them); past it a
    /// CMD_WORKER_CONNECT is refused and its link closed. At most 65,535.
    public var workerKeyLimit = 4_096
    /// Largest query reply payload; a reply that would exceed it is abandoned and its link closed.
    public var queryReplyLimit = 10_240_000
    /// Largest packet a link may send before it authenticated (only when `secretKey` is set).
    public var unauthenticatedPacketLimit = 65_536
    /// Time a new inner link has to authenticate (when `secretKey` is set) and to complete a packet.
    public var innerHandshakeTimeoutNanoseconds: UInt64 = 10_000_000_000
    /// Time a graceful inner close may spend flushing to a peer that does not read before it is cut.
    public var innerCloseTimeoutNanoseconds: UInt64 = 3_000_000_000
    /// Receive buffers of each shard's upstream ring.
    /// Learn inner links' peers from address-reporting accepts, as on kernels without the SO_PEERNAME
    /// uring command (< 6.7), even where it exists (tests; `RINGGATE_FORCE_PEERNAME_FALLBACK=1` does the
    /// same for a whole process).
    public var forcePeerNameFallback = false
    public var receiveBufferCount = 64
    public var receiveBufferSize = 65_536

    /// `lanIP` must be a dotted IPv4 literal: it is what workers compare client_ids with (spec §3).
    public init(lanIP: String = "127.0.0.1", startPort: UInt16 = 2900) throws(ConfigurationError) {
        guard case .ipv4(let address, _)? = SocketAddress(host: lanIP, port: 0), lanIP.split(separator: ".").count == 4
        else {
            throw ConfigurationError(
                "lanIp '\(lanIP)' is not a dotted IPv4 address: workers match it against client_ids byte for byte")
        }
        self.lanIP = lanIP
        self.lanIPv4 = address
        self.startPort = startPort
    }

    /// The inner address shard `index` binds (`startPort` 0: any free port, for tests).
    public func innerAddress(shard index: Int) -> SocketAddress {
        .ipv4(address: lanIPv4, port: startPort == 0 ? 0 : startPort &+ UInt16(truncatingIfNeeded: index))
    }

    /// PHP pings workers only when lanIp is not the literal `127.0.0.1` (spec §5.5).
    var pingsWorkers: Bool { lanIP != "127.0.0.1" }
}
