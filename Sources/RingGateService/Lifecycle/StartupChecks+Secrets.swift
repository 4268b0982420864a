import RingGateRuntime

extension StartupChecks {
    /// Warnings about the shared secret: an empty one where other hosts can reach our ports (GatewayWorker's
    /// default is empty, which is fine on one host and dangerous on a LAN), and secret files every user
    /// can read.
    public static func secrets(_ configuration: ServiceConfiguration) -> [StartupFinding] {
        var messages: [String] = []
        let gateway = configuration.gateway
        if gateway.enabled, gateway.secretKey.isEmpty {
            messages += emptyGatewaySecretWarnings(
                lanIP: gateway.lanIP, startPort: gateway.startPort, registerAddresses: gateway.registerAddresses,
                keyPrefix: "gateway.")
        }
        let register = configuration.register
        if register.enabled, register.secretKey.isEmpty, !register.listen.isLoopback {
            messages.append(
                "register.secret_key is empty and register.listen \(register.listen) is not a loopback address: "
                    + "anyone who reaches it can register a gateway address of their choosing (workers then "
                    + "connect to it) or learn every gateway; set register.secret_key_file")
        }
        let files = [register.secretKeyFile, gateway.secretKeyFile, configuration.workerDemo.secretKeyFile]
        for path in Set(files.compactMap { $0 }).sorted() {
            if let warning = SecretKeyFile.permissionWarning(path) { messages.append(warning) }
        }
        return messages.map { StartupFinding(severity: .warning, message: $0) }
    }

    /// What an empty gateway secret exposes, for `ringgate start` (config keys, `keyPrefix` "gateway.")
    /// and `ringgate gateway` (options, `keyPrefix` "--").
    public static func emptyGatewaySecretWarnings(
        lanIP: String, startPort: UInt16, registerAddresses: [SocketAddress], keyPrefix: String
    ) -> [String] {
        let (secret, lanKey, registerKey) =
            keyPrefix == "--"
            ? ("the secret key", "--lan-ip", "--register-address")
            : ("\(keyPrefix)secret_key", "\(keyPrefix)lan_ip", "\(keyPrefix)register_address")
        var messages: [String] = []
        if !lanIP.hasPrefix("127.") {
            messages.append(
                "\(secret) is empty and \(lanKey) \(lanIP) is not a loopback address: anyone who reaches the "
                    + "worker ports (\(lanIP):\(startPort) and up) can command the gateway (send to and close any "
                    + "client, read sessions); set a secret key file, the same secret on the Register and every "
                    + "worker")
        }
        for address in registerAddresses where !address.isLoopback {
            messages.append(
                "\(secret) is empty and \(registerKey) \(address) is not a loopback address: the Register then "
                    + "accepts anyone, who can point this gateway's workers elsewhere or learn its address; set a "
                    + "secret key file, the same secret on the Register and every worker")
        }
        return messages
    }
}
