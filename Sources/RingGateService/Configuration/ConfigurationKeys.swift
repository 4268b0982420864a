import RingGate
import RingGateRuntime
import RingGateTLS

/// One key of the config file: its dotted path and how a value is checked and applied.
public struct ConfigurationKey: Sendable {
    public let path: String
    let apply: @Sendable (inout ServiceConfiguration, ConfigurationValue) throws(ConfigurationProblem) -> Void

    /// The environment variable that overrides it: `gateway.lan_ip` → `RINGGATE_GATEWAY_LAN_IP`.
    public var environmentName: String {
        "RINGGATE_" + String(path.uppercased().map { $0 == "." ? "_" : $0 })
    }

    init(
        _ path: String,
        _ apply:
            @escaping @Sendable (inout ServiceConfiguration, ConfigurationValue) throws(ConfigurationProblem) -> Void
    ) {
        self.path = path
        self.apply = apply
    }
}

extension ConfigurationKey {
    /// Every key, in the order of the example file.
    public static let all: [ConfigurationKey] = [
        ConfigurationKey("log_level") { configuration, value throws(ConfigurationProblem) in
            let level = try value.scalar().lowercased()
            guard logLevels.contains(level) else {
                throw ConfigurationProblem("'\(level)' is not one of \(logLevels.joined(separator: ", "))")
            }
            configuration.logLevel = level
        },
        ConfigurationKey("log_format") { configuration, value throws(ConfigurationProblem) in
            let format = try value.scalar().lowercased()
            guard let parsed = LogFormat(rawValue: format) else {
                throw ConfigurationProblem("'\(format)' is not text or json")
            }
            configuration.logFormat = parsed
        },

        ConfigurationKey("admin.listen") { configuration, value throws(ConfigurationProblem) in
            let text = try value.scalar()
            configuration.admin.listen = text.lowercased() == "off" ? nil : try ConfigurationValue.address(text)
        },
        ConfigurationKey("admin.allow_remote") { configuration, value throws(ConfigurationProblem) in
            configuration.admin.allowRemote = try value.bool()
        },

        ConfigurationKey("register.enabled") { configuration, value throws(ConfigurationProblem) in
            configuration.register.enabled = try value.bool()
        },
        ConfigurationKey("register.listen") { configuration, value throws(ConfigurationProblem) in
            configuration.register.listen = try value.address()
        },
        ConfigurationKey("register.secret_key") { configuration, value throws(ConfigurationProblem) in
            configuration.register.secretKey = try value.scalar()
        },
        ConfigurationKey("register.max_connections") { configuration, value throws(ConfigurationProblem) in
            configuration.register.maxConnections = try value.integer(in: 1...1_000_000)
        },
        ConfigurationKey("register.max_gateways") { configuration, value throws(ConfigurationProblem) in
            configuration.register.maxGateways = try value.integer(in: 1...100_000)
        },
        ConfigurationKey("register.secret_key_file") { configuration, value throws(ConfigurationProblem) in
            let path = try value.scalar()
            configuration.register.secretKey = path.isEmpty ? "" : try SecretKeyFile.read(path)
            configuration.register.secretKeyFile = path.isEmpty ? nil : path
        },

        ConfigurationKey("gateway.enabled") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.enabled = try value.bool()
        },
        ConfigurationKey("gateway.listen") { configuration, value throws(ConfigurationProblem) in
            let urls = value.items
            guard !urls.isEmpty else { throw ConfigurationProblem("needs at least one listener") }
            for url in urls {
                do { _ = try ListenerConfiguration(url: url) } catch {
                    throw ConfigurationProblem("'\(url)': \(error)")
                }
            }
            configuration.gateway.listen = urls
        },
        ConfigurationKey("gateway.lan_ip") { configuration, value throws(ConfigurationProblem) in
            let text = try value.scalar()
            do { _ = try UpstreamConfiguration(lanIP: text, startPort: 1) } catch {
                throw ConfigurationProblem(
                    "'\(text)' is not an IPv4 literal: workers connect to it and it is encoded into every client_id")
            }
            configuration.gateway.lanIP = text
        },
        ConfigurationKey("gateway.start_port") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.startPort = UInt16(try value.integer(in: 0...65_535))
        },
        ConfigurationKey("gateway.register_address") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.registerAddresses = try value.addresses()
        },
        ConfigurationKey("gateway.secret_key") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.secretKey = try value.scalar()
        },
        ConfigurationKey("gateway.secret_key_file") { configuration, value throws(ConfigurationProblem) in
            let path = try value.scalar()
            configuration.gateway.secretKey = path.isEmpty ? "" : try SecretKeyFile.read(path)
            configuration.gateway.secretKeyFile = path.isEmpty ? nil : path
        },
        ConfigurationKey("gateway.ping_interval") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.pingInterval = try value.number(in: 0...86_400)
        },
        ConfigurationKey("gateway.ping_not_response_limit") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.pingNotResponseLimit = try value.integer(in: 0...1_000_000)
        },
        ConfigurationKey("gateway.ping_data") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.pingData = try value.scalar()
        },
        ConfigurationKey("gateway.router") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.router = try value.choice(
                UpstreamConfiguration.Router.self, allowed: UpstreamConfiguration.Router.allCases)
        },
        ConfigurationKey("gateway.workerman_version") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.workermanVersion = try value.integer(in: 4...5)
        },
        ConfigurationKey("gateway.shards") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.shards = try value.integerOrAuto(in: 1...1024)
        },
        ConfigurationKey("gateway.threads") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.threads = try value.integerOrAuto(in: 1...1024)
        },
        ConfigurationKey("gateway.connections_per_shard") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.connectionsPerShard = try value.integerOrAuto(in: 64...(1 << 20))
        },
        ConfigurationKey("gateway.slab_mib") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.slabMiB = try value.integer(in: 2...65_536)
        },
        ConfigurationKey("gateway.huge_pages") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.hugePages = try value.choice(
                ServiceConfiguration.Gateway.HugePages.self, allowed: ServiceConfiguration.Gateway.HugePages.allCases)
        },
        ConfigurationKey("gateway.hugetlbfs") { configuration, value throws(ConfigurationProblem) in
            let path = try value.scalar()
            guard path.isEmpty || path.hasPrefix("/") else {
                throw ConfigurationProblem("'\(path)' must be an absolute path to a hugetlbfs mount (or empty)")
            }
            configuration.gateway.hugetlbfs = path.isEmpty ? nil : path
        },
        ConfigurationKey("gateway.max_package_length") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.maxPackageLength = try value.integer(in: 1_024...(1 << 30))
        },
        ConfigurationKey("gateway.send_queue_limit") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.sendQueueLimit = try value.integer(in: 1_024...(1 << 30))
        },
        ConfigurationKey("gateway.websocket_compliance") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.webSocketCompliance = try value.choice(
                WebSocketListenerOptions.Compliance.self, allowed: [.rfc6455, .workerman])
        },
        ConfigurationKey("gateway.websocket_frame_type") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.webSocketFrameType = try value.choice(
                WebSocketListenerOptions.FrameType.self, allowed: [.text, .binary, .mirror])
        },
        ConfigurationKey("gateway.demo_page") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.demoPage = try value.bool()
        },
        ConfigurationKey("gateway.drain_seconds") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.drainSeconds = try value.number(in: 0...3_600)
        },
        ConfigurationKey("gateway.inner_connections_per_shard") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.innerConnectionsPerShard = try value.integer(in: 64...65_536)
        },
        ConfigurationKey("gateway.worker_keys_per_shard") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.workerKeysPerShard = try value.integer(in: 1...65_535)
        },
        ConfigurationKey("gateway.query_reply_limit") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.queryReplyLimit = try value.integer(in: 1_024...(1 << 30))
        },
        ConfigurationKey("gateway.inner_auth_packet_limit") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.innerAuthPacketLimit = try value.integer(in: 1_024...(1 << 30))
        },
        ConfigurationKey("gateway.inner_handshake_seconds") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.innerHandshakeSeconds = try value.number(in: 1...3_600)
        },
        ConfigurationKey("gateway.inner_close_seconds") { configuration, value throws(ConfigurationProblem) in
            configuration.gateway.innerCloseSeconds = try value.number(in: 0.1...600)
        },
        ConfigurationKey("limits.memory_mib") { configuration, value throws(ConfigurationProblem) in
            let text = try value.scalar().lowercased()
            configuration.gateway.memoryMiB =
                text == "off" ? 0 : try value.integerOrAuto(in: 0...(1 << 24)).map { $0 == 0 ? 0 : max($0, 16) }
        },

        ConfigurationKey("tls.local_cert") { configuration, value throws(ConfigurationProblem) in
            configuration.tls.localCert = try value.scalar()
        },
        ConfigurationKey("tls.local_pk") { configuration, value throws(ConfigurationProblem) in
            configuration.tls.localPrivateKey = try value.scalar()
        },
        ConfigurationKey("tls.sni_certificates") { configuration, value throws(ConfigurationProblem) in
            for pair in value.items where !pair.contains(":") {
                throw ConfigurationProblem("'\(pair)' must be chain.pem:key.pem")
            }
            configuration.tls.sniCertificates = value.items
        },
        ConfigurationKey("tls.cafile") { configuration, value throws(ConfigurationProblem) in
            configuration.tls.caFile = try value.scalar()
        },
        ConfigurationKey("tls.verify_peer") { configuration, value throws(ConfigurationProblem) in
            configuration.tls.verifyPeer = try value.bool()
        },
        ConfigurationKey("tls.ciphers") { configuration, value throws(ConfigurationProblem) in
            configuration.tls.ciphers = try value.scalar()
        },
        ConfigurationKey("tls.ciphersuites") { configuration, value throws(ConfigurationProblem) in
            configuration.tls.cipherSuites = try value.scalar()
        },
        ConfigurationKey("tls.min_version") { configuration, value throws(ConfigurationProblem) in
            configuration.tls.minimumVersion = try value.choice(
                TLSConfiguration.Version.self, allowed: TLSConfiguration.Version.allCases)
        },

        ConfigurationKey("worker_demo.enabled") { configuration, value throws(ConfigurationProblem) in
            configuration.workerDemo.enabled = try value.bool()
        },
        ConfigurationKey("worker_demo.count") { configuration, value throws(ConfigurationProblem) in
            configuration.workerDemo.count = try value.integer(in: 1...256)
        },
        ConfigurationKey("worker_demo.register_address") { configuration, value throws(ConfigurationProblem) in
            configuration.workerDemo.registerAddresses = try value.addresses()
        },
        ConfigurationKey("worker_demo.secret_key") { configuration, value throws(ConfigurationProblem) in
            configuration.workerDemo.secretKey = try value.scalar()
        },
        ConfigurationKey("worker_demo.secret_key_file") { configuration, value throws(ConfigurationProblem) in
            let path = try value.scalar()
            configuration.workerDemo.secretKey = path.isEmpty ? "" : try SecretKeyFile.read(path)
            configuration.workerDemo.secretKeyFile = path.isEmpty ? nil : path
        },
    ]

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    static let byPath: [String: ConfigurationKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0) })

    /// The top-level sections (`admin`, `gateway`, …).
    static let sections: Set<String> = Set(
        all.compactMap { key in key.path.firstIndex(of: ".").map { String(key.path[..<$0]) } })
}
