import RingGate
import RingGateRuntime
import Testing

@testable import RingGateService

@Suite struct ConfigurationLoaderTests {
    private func load(
        _ yaml: String? = nil, environment: [String: String] = [:], overrides: [String] = []
    ) throws(RingGateService.ConfigurationError) -> ServiceConfiguration {
        try ConfigurationLoader.load(
            fileContents: yaml, fileName: "ringgate.yaml", environment: environment, overrides: overrides)
    }

    /// The problems a configuration is rejected with (empty when it loads).
    private func problems(_ yaml: String? = nil, environment: [String: String] = [:], overrides: [String] = [])
        -> [String]
    {
        do {
            _ = try load(yaml, environment: environment, overrides: overrides)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func noConfigurationIsTheEmbeddedDefault() throws {
        let configuration = try load()
        #expect(configuration == ServiceConfiguration())
        #expect(configuration.register.enabled && configuration.workerDemo.enabled && configuration.gateway.enabled)
        #expect(configuration.register.listen == SocketAddress("127.0.0.1:1238"))
        #expect(configuration.gateway.listen == ["websocket://0.0.0.0:8282"])
        #expect(configuration.gateway.startPort == 2900)
        #expect(configuration.admin.listen == SocketAddress("127.0.0.1:9180"))
    }

    @Test func everyKeyIsReadFromYAML() throws {
        let configuration = try load(
            """
            log_level: debug
            admin:
              listen: 127.0.0.1:9999
              allow_remote: false
            register:
              enabled: true
              listen: 127.0.0.1:1300
              secret_key: s3cret
              max_connections: 512
              max_gateways: 64
            gateway:
              enabled: true
              listen: [ "websocket://0.0.0.0:9000", "text://127.0.0.1:9001" ]
              lan_ip: 10.1.2.3
              start_port: 4000
              register_address:
                - 127.0.0.1:1300
              secret_key: s3cret
              ping_interval: 25
              ping_not_response_limit: 2
              ping_data: '{"type":"ping"}'
              router: random
              workerman_version: 5
              shards: 4
              connections_per_shard: 10000
              slab_mib: 32
              huge_pages: off
              hugetlbfs: /dev/hugepages
              max_package_length: 65536
              send_queue_limit: 2048000
              websocket_compliance: workerman
              websocket_frame_type: mirror
              demo_page: false
              drain_seconds: 2.5
            worker_demo:
              enabled: true
              count: 3
              register_address: 127.0.0.1:1300
              secret_key: s3cret
            """)
        #expect(configuration.logLevel == "debug")
        #expect(configuration.admin.listen == SocketAddress("127.0.0.1:9999"))
        #expect(configuration.register.listen == SocketAddress("127.0.0.1:1300"))
        #expect(configuration.register.secretKey == "s3cret")
        #expect(configuration.register.maxConnections == 512 && configuration.register.maxGateways == 64)
        let gateway = configuration.gateway
        #expect(gateway.listen == ["websocket://0.0.0.0:9000", "text://127.0.0.1:9001"])
        #expect(gateway.lanIP == "10.1.2.3" && gateway.startPort == 4000)
        #expect(gateway.registerAddresses == [SocketAddress("127.0.0.1:1300")!])
        #expect(
            gateway.pingInterval == 25 && gateway.pingNotResponseLimit == 2 && gateway.pingData == #"{"type":"ping"}"#)
        #expect(gateway.router == UpstreamConfiguration.Router.random && gateway.workermanVersion == 5)
        #expect(gateway.shards == 4 && gateway.connectionsPerShard == 10_000 && gateway.slabMiB == 32)
        #expect(
            gateway.hugePages == ServiceConfiguration.Gateway.HugePages.off && gateway.hugetlbfs == "/dev/hugepages")
        #expect(gateway.maxPackageLength == 65_536 && gateway.sendQueueLimit == 2_048_000)
        #expect(gateway.webSocketCompliance == WebSocketListenerOptions.Compliance.workerman)
        #expect(gateway.webSocketFrameType == WebSocketListenerOptions.FrameType.mirror)
        #expect(!gateway.demoPage && gateway.drainSeconds == 2.5)
        #expect(configuration.workerDemo.count == 3)
        #expect(configuration.workerDemo.registerAddresses == [SocketAddress("127.0.0.1:1300")!])

        let gatewayConfiguration = try configuration.gatewayConfiguration()
        #expect(gatewayConfiguration.shardCount == 4 && !gatewayConfiguration.useHugePages)
        #expect(gatewayConfiguration.upstream?.lanIP == "10.1.2.3")
        #expect(gatewayConfiguration.upstream?.pingIntervalNanoseconds == 25_000_000_000)
        #expect(gatewayConfiguration.listeners.allSatisfy { $0.webSocket.workermanVersion == .workerman5 })
    }

    @Test func theExampleConfigurationLoadsAndStatesEveryDefault() throws {
        let path = #filePath.split(separator: "/").dropLast(3).joined(separator: "/") + "/deploy/ringgate.yaml"
        let text = try #require(try? String(contentsOfFile: "/" + path, encoding: .utf8), "deploy/ringgate.yaml")
        let configuration = try load(text)
        #expect(configuration.gateway.enabled)
        // Every key appears in the example, so none is undocumented.
        for key in ConfigurationKey.all {
            let name = String(key.path.split(separator: ".").last!)
            #expect(text.contains("\(name):"), "deploy/ringgate.yaml lacks \(key.path)")
        }
    }

    @Test func aGatewayPointedAtItsOwnRegisterLeavesTheDemoOff() throws {
        let configuration = try load("gateway:\n  register_address: 10.0.0.9:1236\n")
        #expect(!configuration.register.enabled && !configuration.workerDemo.enabled)
        let both = try load("gateway:\n  register_address: 127.0.0.1:1238\nregister:\n  enabled: true\n")
        #expect(both.register.enabled && !both.workerDemo.enabled)
    }

    @Test func environmentOverridesTheFileAndSetOverridesTheEnvironment() throws {
        let yaml = "gateway:\n  lan_ip: 10.0.0.1\n  shards: 2\n"
        #expect(try load(yaml).gateway.lanIP == "10.0.0.1")
        let environment = ["RINGGATE_GATEWAY_LAN_IP": "10.0.0.2", "RINGGATE_GATEWAY_SHARDS": "auto"]
        let fromEnvironment = try load(yaml, environment: environment)
        #expect(fromEnvironment.gateway.lanIP == "10.0.0.2" && fromEnvironment.gateway.shards == nil)
        let fromFlag = try load(yaml, environment: environment, overrides: ["gateway.lan_ip=10.0.0.3"])
        #expect(fromFlag.gateway.lanIP == "10.0.0.3")
        let lists = try load(overrides: ["gateway.listen=websocket://127.0.0.1:1,text://127.0.0.1:2"])
        #expect(lists.gateway.listen == ["websocket://127.0.0.1:1", "text://127.0.0.1:2"])
        #expect(try load(overrides: ["admin.listen=off"]).admin.listen == nil)
    }

    @Test func unknownKeysAreRejectedWithASuggestion() {
        #expect(
            problems("gateway:\n  lan_ipp: 10.0.0.1\n")
                == ["ringgate.yaml:2: unknown key 'gateway.lan_ipp' (did you mean 'gateway.lan_ip'?)"])
        #expect(
            problems("gatway:\n  lan_ip: 10.0.0.1\n")
                == ["ringgate.yaml:1: unknown section 'gatway' (did you mean section 'gateway'?)"])
        #expect(problems("loglevel: info\n") == ["ringgate.yaml:1: unknown key 'loglevel' (did you mean 'log_level'?)"])
        #expect(
            problems(overrides: ["gateway.startport=1"])
                == ["--set gateway.startport: unknown key 'gateway.startport' (did you mean 'gateway.start_port'?)"])
        #expect(
            problems(environment: ["RINGGATE_GATEWAY_LANIP": "1.2.3.4"])
                == ["RINGGATE_GATEWAY_LANIP: not a RingGate setting (did you mean RINGGATE_GATEWAY_LAN_IP?)"])
        #expect(
            problems(overrides: ["gateway.lan_ip"]) == [
                "--set gateway.lan_ip: expects key=value, e.g. --set gateway.lan_ip=10.0.0.5"
            ])
    }

    @Test func badValuesSayWhatIsWrong() {
        #expect(
            problems("gateway:\n  lan_ip: gateway.local\n")
                == [
                    "ringgate.yaml:2: gateway.lan_ip: 'gateway.local' is not an IPv4 literal: workers connect to it and "
                        + "it is encoded into every client_id"
                ])
        #expect(
            problems("register:\n  listen: 127.0.0.1\n")
                == [
                    "ringgate.yaml:2: register.listen: '127.0.0.1' is not an address (ip:port, e.g. 127.0.0.1:1238 or [::1]:1238)"
                ])
        #expect(
            problems("gateway:\n  ping_interval: 100000\n")
                == ["ringgate.yaml:2: gateway.ping_interval: 100000 is out of range (0...86400)"])
        #expect(
            problems("gateway:\n  ping_not_response_limit: -1\n")
                == ["ringgate.yaml:2: gateway.ping_not_response_limit: -1 is out of range (0...1000000)"])
        #expect(
            problems("gateway:\n  ping_not_response_limit: 2\n")
                == [
                    "gateway.ping_not_response_limit: 2 needs gateway.ping_interval above 0 (the limit counts silent intervals)"
                ])
        #expect(
            problems("gateway:\n  ping_interval: 0.05\n")
                == ["gateway.ping_interval: 0.05 s is below the 0.2 s the timers resolve"])
        #expect(
            problems("gateway:\n  router: roundrobin\n")
                == ["ringgate.yaml:2: gateway.router: 'roundrobin' is not one of least-connections, random"])
        #expect(
            problems("gateway:\n  websocket_frame_type: txt\n")
                == [
                    "ringgate.yaml:2: gateway.websocket_frame_type: 'txt' is not one of text, binary, mirror (did you mean 'text'?)"
                ])
        #expect(
            problems("gateway:\n  shards: many\n") == [
                "ringgate.yaml:2: gateway.shards: 'many' is not a whole number (or auto)"
            ])
        #expect(
            problems("gateway:\n  demo_page: maybe\n") == [
                "ringgate.yaml:2: gateway.demo_page: 'maybe' is not a boolean (true or false)"
            ])
        #expect(
            problems("gateway:\n  listen: http://0.0.0.0:1\n").first?.hasPrefix(
                "ringgate.yaml:2: gateway.listen: 'http://0.0.0.0:1': ") == true)
        #expect(
            problems("gateway:\n  listen: [a, [b]]\n").first
                == "ringgate.yaml:2: gateway.listen: list items must be plain values")
        #expect(
            problems("log_level: loud\n") == [
                "ringgate.yaml:1: log_level: 'loud' is not one of trace, debug, info, notice, warning, error, critical"
            ])
        #expect(
            problems("gateway:\n  hugetlbfs: hugepages\n") == [
                "ringgate.yaml:2: gateway.hugetlbfs: 'hugepages' must be an absolute path to a hugetlbfs mount (or empty)"
            ])
    }

    @Test func wholeConfigurationChecks() {
        #expect(
            problems("admin:\n  listen: 0.0.0.0:9180\n")
                == [
                    "admin.listen: 0.0.0.0:9180 is not a loopback address; the admin endpoint has no authentication "
                        + "(use 127.0.0.1:PORT, or set admin.allow_remote: true behind a firewall)"
                ])
        #expect(problems("admin:\n  listen: 0.0.0.0:9180\n  allow_remote: true\n").isEmpty)
        // IPv6 loopback is loopback (its text form is bracketed, which a text comparison missed).
        #expect(problems("admin:\n  listen: \"[::1]:9180\"\n").isEmpty)
        for loopback in ["127.0.0.1:1", "127.9.8.7:1", "[::1]:1", "[::ffff:127.0.0.1]:1"] {
            #expect(SocketAddress(loopback)?.isLoopback == true, "\(loopback)")
        }
        for remote in ["0.0.0.0:1", "10.0.0.1:1", "128.0.0.1:1", "[::]:1", "[::2]:1", "[::ffff:10.0.0.1]:1"] {
            #expect(SocketAddress(remote)?.isLoopback == false, "\(remote)")
        }
        #expect(
            problems("register:\n  enabled: false\ngateway:\n  enabled: false\nworker_demo:\n  enabled: false\n")
                == ["nothing to run: register, gateway and worker_demo are all disabled"])
        #expect(
            problems("gateway:\n  listen: websocket://0.0.0.0:1238\n")
                == ["port 1238 is used twice: by gateway.listen websocket://0.0.0.0:1238 and by register.listen"])
        #expect(
            problems("gateway:\n  start_port: 9179\n  shards: 2\n")
                == ["port 9180 is used twice: by admin.listen and by gateway.start_port + 1 (shard 1's worker port)"])
        #expect(
            problems("gateway:\n  start_port: 65535\n  shards: 2\n")
                == ["gateway.start_port: 65535 + 2 shards runs past port 65535"])
        #expect(
            problems("register:\n  secret_key: a\n")
                == [
                    "gateway.secret_key differs from register.secret_key: this gateway could not register with the built-in Register"
                ])
        #expect(
            problems("gateway:\n  register_address: []\n  enabled: true\n").contains(
                "gateway.register_address: a gateway needs at least one Register (workers find it there)"))
    }

    @Test func malformedFilesAreReported() {
        #expect(problems("gateway: [\n").first?.hasPrefix("ringgate.yaml: not valid YAML") == true)
        #expect(problems("- a\n- b\n") == ["ringgate.yaml:1: the file must be a mapping of keys to values"])
        #expect(
            problems("log_level: info\nlog_level: debug\n")
                == [
                    "ringgate.yaml: not valid YAML: Parser: expected all keys to be unique but found the following "
                        + "duplicated key(s): 'log_level'."
                ])
        #expect(
            problems("gateway:\n  lan_ip:\n    a: b\n") == [
                "ringgate.yaml:2: gateway.lan_ip: expects a value, not a mapping"
            ])
        #expect(problems("").isEmpty)
    }

    @Test func closestMatchIgnoresFarNames() {
        #expect(closestMatch(to: "lan_ipp", among: ["lan_ip", "start_port"]) == "lan_ip")
        #expect(closestMatch(to: "zzzzzzzz", among: ["lan_ip", "start_port"]) == nil)
        #expect(editDistance(Array("ab".utf8), Array("ba".utf8)) == 1)
    }
}
