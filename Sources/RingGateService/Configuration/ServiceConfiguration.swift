import RingGate
import RingGateRuntime
import RingGateTLS

/// Everything `ringgate start` runs, as read from the config file, the environment and `--set` flags.
/// The defaults are the embedded default: a Register, a WebSocket gateway and the demo chat worker in
/// one process, GatewayWorker's demo layout (Register 1238, gateway 8282, lan ports from 2900).
public struct ServiceConfiguration: Sendable, Equatable {
    public var logLevel = "info"
    /// text (swift-log's stream format) or json (one object per line, see `JSONLogHandler`).
    public var logFormat = LogFormat.text
    public var admin = Admin()
    public var register = Register()
    public var gateway = Gateway()
    public var workerDemo = WorkerDemo()
    public var tls = TLS()

    public init() {}

    /// Certificates and settings of the TLS listeners (`wss://`, `ssl://`, `<framing>+tls://`), named
    /// as in workerman's `ssl` context.
    public struct TLS: Sendable, Equatable {
        /// Certificate chain (PEM, leaf first): workerman's `local_cert`.
        public var localCert = ""
        /// Its private key (PEM): `local_pk`.
        public var localPrivateKey = ""
        /// More certificates, chosen by SNI: "chain.pem:key.pem" each.
        public var sniCertificates: [String] = []
        /// CA for client certificates: `cafile`.
        public var caFile = ""
        /// Require a client certificate signed by `caFile`: `verify_peer`.
        public var verifyPeer = false
        /// TLS 1.2 cipher list (OpenSSL syntax): `ciphers`; empty: the built-in AEAD list.
        public var ciphers = ""
        /// TLS 1.3 suites (OpenSSL syntax); empty: OpenSSL's default.
        public var cipherSuites = ""
        public var minimumVersion = TLSConfiguration.Version.tls12

        /// The listener settings these give, or nil when no certificate is set.
        public var listenerConfiguration: TLSConfiguration? {
            guard !localCert.isEmpty else { return nil }
            var files = [TLSConfiguration.CertificateFiles(chainPath: localCert, privateKeyPath: localPrivateKey)]
            for pair in sniCertificates {
                let parts = pair.split(separator: ":", maxSplits: 1).map(String.init)
                files.append(.init(chainPath: parts[0], privateKeyPath: parts.count > 1 ? parts[1] : ""))
            }
            var configuration = TLSConfiguration(certificates: files)
            configuration.minimumVersion = minimumVersion
            if !ciphers.isEmpty { configuration.cipherList = ciphers }
            if !cipherSuites.isEmpty { configuration.cipherSuites = cipherSuites }
            configuration.clientCAPath = caFile.isEmpty ? nil : caFile
            configuration.verifyPeer = verifyPeer
            return configuration
        }
    }

    public struct Admin: Sendable, Equatable {
        /// nil: no admin endpoint.
        public var listen: SocketAddress? = SocketAddress("127.0.0.1:9180")
        /// Allow a non-loopback admin address (the endpoint has no authentication).
        public var allowRemote = false
    }

    /// The built-in Register service.
    public struct Register: Sendable, Equatable {
        public var enabled = true
        public var listen = SocketAddress("127.0.0.1:1238")!
        public var secretKey = ""
        /// Open connections at most; unauthenticated ones are evicted oldest first to admit newcomers.
        public var maxConnections = 4096
        /// Registered gateway connections at most (the length of the list workers are sent).
        public var maxGateways = 1024
        /// Where `secretKey` was read from (`secret_key_file`), for the permission check.
        public var secretKeyFile: String?
    }

    public struct Gateway: Sendable, Equatable {
        public enum HugePages: String, Sendable, Equatable, CaseIterable {
            /// Try huge pages, log a line and use normal pages when none are free.
            case auto
            case off
        }

        public var enabled = true
        public var listen = ["websocket://0.0.0.0:8282"]
        public var lanIP = "127.0.0.1"
        public var startPort: UInt16 = 2900
        public var registerAddresses = [SocketAddress("127.0.0.1:1238")!]
        public var secretKey = ""
        /// Where `secretKey` was read from (`secret_key_file`), for the permission check.
        public var secretKeyFile: String?
        /// Seconds; 0: no heartbeat.
        public var pingInterval: Double = 0
        public var pingNotResponseLimit = 0
        public var pingData = ""
        public var router = UpstreamConfiguration.Router.leastConnections
        public var workermanVersion = 4
        /// nil: one per CPU the process may use.
        public var shards: Int?
        /// Threads the shards run on; nil: one per CPU the process may use, at most one per shard.
        public var threads: Int?
        /// nil: RLIMIT_NOFILE minus a reserve.
        public var connectionsPerShard: Int?
        public var slabMiB = 16
        public var hugePages = HugePages.auto
        public var hugetlbfs: String?
        public var maxPackageLength = 10_485_760
        public var sendQueueLimit = 1_024_000
        public var webSocketCompliance = WebSocketListenerOptions.Compliance.rfc6455
        public var webSocketFrameType = WebSocketListenerOptions.FrameType.text
        public var demoPage = true
        public var drainSeconds: Double = 10
        public var innerConnectionsPerShard = 4_096
        public var workerKeysPerShard = 4_096
        public var queryReplyLimit = 10_240_000
        public var innerAuthPacketLimit = 65_536
        public var innerHandshakeSeconds: Double = 10
        public var innerCloseSeconds: Double = 3
        /// `limits.memory_mib`: nil (auto): 80% of the cgroup limit or of RAM; 0: no budget.
        public var memoryMiB: Int?
    }

    /// The built-in demo chat worker (Swift worker kit).
    public struct WorkerDemo: Sendable, Equatable {
        public var enabled = true
        public var count = 1
        public var registerAddresses = [SocketAddress("127.0.0.1:1238")!]
        public var secretKey = ""
        /// Where `secretKey` was read from (`secret_key_file`), for the permission check.
        public var secretKeyFile: String?
    }
}
