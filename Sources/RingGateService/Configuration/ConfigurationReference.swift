/// What the reference (`docs/configuration.md`, `ringgate check-config --print-reference`) says about
/// one configuration key. Kept beside `ConfigurationKey.all` rather than inside it, and checked against
/// it by a test: every key has exactly one entry, and its stated default is the real one.
public struct ConfigurationKeyReference: Sendable {
    public let path: String
    /// The default as a config file would write it.
    public let defaultValue: ConfigurationValue
    /// The PHP GatewayWorker property the key mirrors, if any.
    public let php: String?
    public let summary: String

    init(_ path: String, _ defaultValue: ConfigurationValue, php: String? = nil, _ summary: String) {
        self.path = path
        self.defaultValue = defaultValue
        self.php = php
        self.summary = summary
    }

    init(_ path: String, _ defaultValue: String, php: String? = nil, _ summary: String) {
        self.init(path, .scalar(defaultValue), php: php, summary)
    }
}

extension ConfigurationKeyReference {
    /// One entry per key, in the order of `ConfigurationKey.all`.
    public static let all: [ConfigurationKeyReference] = [
        .init(
            "log_level", "info",
            "trace, debug, info, notice, warning, error or critical. `info` logs notable events (startup, listeners, "
                + "workers, fallbacks, bad input), never one line per message."),
        .init(
            "log_format", "text",
            "text or json: json writes one JSON object per line with the keys time (UTC, RFC 3339 with "
                + "milliseconds), level, label, source, message and metadata (an object), for log shippers."),
        .init(
            "admin.listen", "127.0.0.1:9180",
            "ip:port of the admin endpoint: `/status` (JSON), `/metrics` (Prometheus), `/health`. `off` disables it."),
        .init(
            "admin.allow_remote", "false",
            "The endpoint has no authentication, so a non-loopback `admin.listen` is refused unless this is true."),
        .init(
            "register.enabled", "true", php: "Register",
            "Run the built-in Register service. Production: false when a separate Register (PHP's or "
                + "`ringgate register`) runs. Defaults to false when `gateway.register_address` is given."),
        .init(
            "register.listen", "127.0.0.1:1238", php: "new Register(\"text://ip:port\")",
            "ip:port of the built-in Register; a LAN address if workers on other hosts use it."),
        .init(
            "register.secret_key", "", php: "$register->secretKey",
            "Shared secret that gateways and workers must present; the same value on every peer."),
        .init(
            "register.max_connections", "4096",
            "Open Register connections, 1..1000000. When full, the oldest unauthenticated connection is closed."),
        .init(
            "register.max_gateways", "1024",
            "Registered gateway connections, 1..100000; one `gateway_connect` more closes its connection."),
        .init(
            "register.secret_key_file", "",
            "File holding the secret instead of `secret_key` (one line, trailing newline ignored), e.g. a systemd "
                + "credential under /run/credentials/. Empty: none."),
        .init("gateway.enabled", "true", "false runs no gateway (a host that only runs the Register)."),
        .init(
            "gateway.listen", .list(["websocket://0.0.0.0:8282"]), php: "new Gateway(\"websocket://...\")",
            "Client listeners: `websocket://`, `text://`, `frame://`, `tcp://` URLs; at least one."),
        .init(
            "gateway.lan_ip", "127.0.0.1", php: "$gateway->lanIp",
            "IPv4 literal that workers connect to; it is encoded into every client_id. Production: the address "
                + "workers on other hosts reach."),
        .init(
            "gateway.start_port", "2900", php: "$gateway->startPort",
            "Shard i listens for workers on lan_ip:start_port+i."),
        .init(
            "gateway.register_address", .list(["127.0.0.1:1238"]), php: "$gateway->registerAddress",
            "ip:port list of the Register(s) the shards register with. Giving it turns the built-in Register and "
                + "demo worker off unless they are enabled explicitly."),
        .init(
            "gateway.secret_key", "", php: "$gateway->secretKey",
            "Secret presented to the Register and required from workers; must equal the Register's."),
        .init(
            "gateway.secret_key_file", "",
            "File holding the secret instead. An empty secret with a non-loopback lan_ip or Register makes "
                + "check-config warn."),
        .init(
            "gateway.ping_interval", "0", php: "$gateway->pingInterval",
            "Seconds between heartbeat checks, 0..86400; 0 turns the heartbeat off."),
        .init(
            "gateway.ping_not_response_limit", "0", php: "$gateway->pingNotResponseLimit",
            "Silent intervals after which a client is closed, 0..1000000; 0 never closes. Needs ping_interval > 0."),
        .init(
            "gateway.ping_data", "", php: "$gateway->pingData",
            "Bytes sent to silent clients each interval, through their framing; empty sends nothing."),
        .init(
            "gateway.router", "least-connections", php: "$gateway->router",
            "How a client is bound to a worker: `least-connections` or `random`."),
        .init(
            "gateway.workerman_version", "4",
            "4 or 5: the shape of CMD_ON_WEBSOCKET_CONNECT data; match your BusinessWorkers' workerman."),
        .init(
            "gateway.shards", "auto", php: "$gateway->count",
            "Shards (each a gateway address with its own ring, sockets and tables), 1..1024; auto = usable CPUs."),
        .init(
            "gateway.threads", "auto",
            "Threads the shards run on (shard i on thread i mod threads, pinned), 1..1024; auto = usable CPUs, "
                + "at most one per shard."),
        .init(
            "gateway.connections_per_shard", "auto",
            "Direct-descriptor table per shard, 64..1048576; auto = RLIMIT_NOFILE − 256."),
        .init(
            "gateway.slab_mib", "16",
            "MiB of receive buffers and send chunks per shard thread (its shards share it), in 2 MiB pages; "
                + "2..65536."),
        .init(
            "gateway.huge_pages", "auto",
            "`auto` maps the slab with MAP_HUGETLB and falls back to normal pages with one log line; `off` never tries."
        ),
        .init(
            "gateway.hugetlbfs", "",
            "Absolute path of a hugetlbfs mount to map the slab from instead of MAP_HUGETLB; empty: none."),
        .init(
            "gateway.max_package_length", "10485760", php: "$connection->maxPackageSize",
            "Largest client message in bytes, 1024..2^30; a larger one closes the client."),
        .init(
            "gateway.send_queue_limit", "1024000", php: "$connection->maxSendBufferSize",
            "Bytes queued per client, 1024..2^30, before further messages to it are dropped (and counted)."),
        .init(
            "gateway.websocket_compliance", "rfc6455",
            "`rfc6455` (strict RFC 6455 checks) or `workerman` (workerman's lenient ones)."),
        .init(
            "gateway.websocket_frame_type", "text", php: "$connection->websocketType",
            "Frame type of messages to clients: `text`, `binary` or `mirror` (the client's last frame type)."),
        .init(
            "gateway.demo_page", "true",
            "A plain GET on a WebSocket listener serves the demo chat page. For trying it out; production: false."),
        .init(
            "gateway.drain_seconds", "10",
            "On SIGTERM, seconds queued data may take to flush before clients are cut, 0..3600; keep it below "
                + "the unit's TimeoutStopSec."),
        .init(
            "gateway.inner_connections_per_shard", "4096",
            "Worker and GatewayClient links per shard, 64..65536; when full, the oldest unauthenticated link is closed."
        ),
        .init(
            "gateway.worker_keys_per_shard", "4096",
            "Worker keys a shard remembers (live or still bound by clients), 1..65535; past it a worker's "
                + "registration is refused and its link closed."),
        .init(
            "gateway.query_reply_limit", "10240000",
            "Largest query reply in bytes (getAllClientSessions, select, …), 1024..2^30; a larger one is abandoned "
                + "and the asking link closed."),
        .init(
            "gateway.inner_auth_packet_limit", "65536",
            "Largest packet a worker link may send before it authenticated (when a secret is set), 1024..2^30."),
        .init(
            "gateway.inner_handshake_seconds", "10",
            "Seconds a worker link has to authenticate (when a secret is set) and complete a packet, 1..3600."),
        .init(
            "gateway.inner_close_seconds", "3",
            "Seconds a closing worker link may flush, 0.1..600; a worker that stopped reading is then cut."),
        .init(
            "limits.memory_mib", "auto",
            "Budget for client message assemblies and send chunks, split between shards: auto = 80% of the "
                + "cgroup's memory.max (else of RAM), `off`, or MiB (at least 16). Near it new clients are refused "
                + "at accept; a message that would cross it closes its client (WebSocket 1009)."),
        .init(
            "tls.local_cert", "", php: "context ssl local_cert",
            "Certificate chain of the TLS listeners (wss://, ssl://, or any scheme + \"+tls\"), PEM, leaf first; "
                + "empty = no TLS listener. Set without `gateway.listen`, the default listener becomes "
                + "wss://0.0.0.0:8282."),
        .init("tls.local_pk", "", php: "context ssl local_pk", "Its private key, PEM; readable by the service user."),
        .init(
            "tls.sni_certificates", .list([]),
            "More certificates chosen by SNI when they name the host asked for, as \"chain.pem:key.pem\" entries."),
        .init(
            "tls.cafile", "", php: "context ssl cafile", "CA for client certificates; empty = none asked for."),
        .init(
            "tls.verify_peer", "false", php: "context ssl verify_peer",
            "true: refuse clients without a certificate signed by `tls.cafile`."),
        .init(
            "tls.ciphers", "", php: "context ssl ciphers",
            "TLS 1.2 cipher list, OpenSSL syntax; empty = ECDHE with AES-GCM or ChaCha20 only."),
        .init("tls.ciphersuites", "", "TLS 1.3 suites, OpenSSL syntax; empty = OpenSSL's default."),
        .init(
            "tls.min_version", "1.2",
            "Lowest TLS version accepted: 1.2 or 1.3. ALPN offers http/1.1. `ringgate reload` (SIGHUP) loads renewed "
                + "files for new handshakes; established connections continue; bad files are refused."),
        .init(
            "worker_demo.enabled", "true", php: "BusinessWorker",
            "Run the built-in demo chat worker (Swift worker kit). Production: false; your own BusinessWorkers "
                + "connect through the Register. Defaults to false when `gateway.register_address` is given."),
        .init("worker_demo.count", "1", php: "$worker->count", "Demo worker instances, 1..256."),
        .init(
            "worker_demo.register_address", .list(["127.0.0.1:1238"]), php: "$worker->registerAddress",
            "ip:port list of the Register(s) the demo worker asks for gateways."),
        .init(
            "worker_demo.secret_key", "", php: "$worker->secretKey", "Must equal the Register's secret."),
        .init("worker_demo.secret_key_file", "", "File holding the secret instead; empty: none."),
    ]
}
