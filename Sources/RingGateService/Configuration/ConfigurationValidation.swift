import RingGate
import RingGateRuntime

/// Checks that span several keys (each key already checked its own value).
enum ConfigurationValidation {
    static func problems(in configuration: ServiceConfiguration) -> [String] {
        var problems: [String] = []
        let gateway = configuration.gateway
        if !configuration.register.enabled && !gateway.enabled && !configuration.workerDemo.enabled {
            problems.append("nothing to run: register, gateway and worker_demo are all disabled")
        }
        if let admin = configuration.admin.listen, !admin.isLoopback, !configuration.admin.allowRemote {
            problems.append(
                "admin.listen: \(admin) is not a loopback address; the admin endpoint has no authentication "
                    + "(use 127.0.0.1:PORT, or set admin.allow_remote: true behind a firewall)")
        }
        if gateway.enabled {
            if gateway.registerAddresses.isEmpty {
                problems.append(
                    "gateway.register_address: a gateway needs at least one Register (workers find it there)")
            }
            if gateway.pingNotResponseLimit > 0 && gateway.pingInterval == 0 {
                problems.append(
                    "gateway.ping_not_response_limit: \(gateway.pingNotResponseLimit) needs gateway.ping_interval "
                        + "above 0 (the limit counts silent intervals)")
            }
            if gateway.pingInterval > 0 && gateway.pingInterval < 0.2 {
                problems.append(
                    "gateway.ping_interval: \(gateway.pingInterval.compact) s is below the 0.2 s the timers resolve")
            }
            if configuration.register.enabled,
                gateway.registerAddresses.contains(configuration.register.listen),
                configuration.register.secretKey != gateway.secretKey
            {
                problems.append(
                    "gateway.secret_key differs from register.secret_key: this gateway could not register with "
                        + "the built-in Register")
            }
            problems += portClashes(configuration)
            problems += tlsProblems(configuration)
        }
        if configuration.workerDemo.enabled && configuration.workerDemo.registerAddresses.isEmpty {
            problems.append("worker_demo.register_address: the demo worker needs a Register to find gateways")
        }
        return problems
    }

    /// TLS listeners need a certificate and key; a key without a certificate is a slip.
    private static func tlsProblems(_ configuration: ServiceConfiguration) -> [String] {
        let tls = configuration.tls
        var problems: [String] = []
        let secure = configuration.gateway.listen.filter { (try? ListenerConfiguration(url: $0))?.requiresTLS == true }
        if !secure.isEmpty && tls.localCert.isEmpty {
            problems.append(
                "tls.local_cert: \(secure.joined(separator: ", ")) needs a certificate (tls.local_cert, tls.local_pk)")
        }
        if !tls.localCert.isEmpty && tls.localPrivateKey.isEmpty {
            problems.append("tls.local_pk: the private key of \(tls.localCert) is missing")
        }
        if tls.verifyPeer && tls.caFile.isEmpty {
            problems.append("tls.verify_peer: needs tls.cafile, the CA client certificates are checked against")
        }
        return problems
    }

    /// Two of our own sockets on one port: the listeners, the inner ports (start_port + shard), the
    /// Register and the admin endpoint.
    private static func portClashes(_ configuration: ServiceConfiguration) -> [String] {
        var owners: [UInt16: String] = [:]
        var problems: [String] = []
        func claim(_ port: UInt16, _ owner: String) {
            guard port != 0 else { return }
            if let previous = owners[port] {
                problems.append("port \(port) is used twice: by \(previous) and by \(owner)")
            } else {
                owners[port] = owner
            }
        }
        for url in configuration.gateway.listen {
            if let listener = try? ListenerConfiguration(url: url) {
                claim(listener.address.port, "gateway.listen \(url)")
            }
        }
        if configuration.register.enabled { claim(configuration.register.listen.port, "register.listen") }
        if let admin = configuration.admin.listen { claim(admin.port, "admin.listen") }
        let gateway = configuration.gateway
        if gateway.startPort != 0 {
            let shards = gateway.shards ?? CPUs.allowed.count
            let last = Int(gateway.startPort) + shards - 1
            if last > 65_535 {
                problems.append(
                    "gateway.start_port: \(gateway.startPort) + \(shards) shards runs past port 65535")
            } else {
                for shard in 0..<shards {
                    claim(
                        gateway.startPort + UInt16(shard),
                        "gateway.start_port + \(shard) (shard \(shard)'s worker port)")
                }
            }
        }
        return problems
    }
}

extension SocketAddress {
    /// 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6 (::ffff:127.x.y.z).
    public var isLoopback: Bool {
        switch self {
        case .ipv4(let address, _):
            return address >> 24 == 127
        case .ipv6(let address, _):
            let bytes = Array(address.prefix(16))
            guard bytes.count == 16 else { return false }
            let ipv6Loopback = bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
            let mappedIPv4Loopback =
                bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
            return ipv6Loopback || mappedIPv4Loopback
        }
    }
}
