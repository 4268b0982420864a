import ArgumentParser
import RingGate
import RingGateTLS

/// TLS flags of `echo` and `gateway` (named after workerman's ssl context keys they set), applied to
/// the listeners written with a TLS scheme: `wss://`, `ssl://`, or any framing with `+tls`.
struct TLSOptions: ParsableArguments {
    @Option(help: "Certificate chain (PEM, leaf first) of the TLS listeners (workerman: local_cert).")
    var tlsCertificate: String?

    @Option(help: "Private key (PEM) of --tls-certificate (workerman: local_pk).")
    var tlsPrivateKey: String?

    @Option(
        help: "Another certificate, chosen by SNI when it names the requested host: chain.pem:key.pem (repeatable).")
    var tlsSniCertificate: [String] = []

    @Option(help: "CA file client certificates are checked against (workerman: cafile).")
    var tlsCa: String?

    @Flag(help: "Refuse clients without a certificate signed by --tls-ca (workerman: verify_peer).")
    var tlsVerifyPeer = false

    @Option(help: "Lowest TLS version accepted: 1.2 or 1.3.")
    var tlsMinVersion: String = "1.2"

    @Option(help: "TLS 1.2 cipher list, OpenSSL syntax (workerman: ciphers). Default: ECDHE with AES-GCM or ChaCha20.")
    var tlsCiphers: String?

    /// The settings these flags give, or nil without a certificate.
    func configuration() throws -> TLSConfiguration? {
        guard let tlsCertificate else {
            guard tlsPrivateKey == nil else { throw ValidationError("--tls-private-key needs --tls-certificate") }
            return nil
        }
        guard let tlsPrivateKey else { throw ValidationError("--tls-certificate needs --tls-private-key") }
        var files = [TLSConfiguration.CertificateFiles(chainPath: tlsCertificate, privateKeyPath: tlsPrivateKey)]
        for pair in tlsSniCertificate {
            let parts = pair.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw ValidationError("--tls-sni-certificate '\(pair)' must be chain.pem:key.pem")
            }
            files.append(.init(chainPath: parts[0], privateKeyPath: parts[1]))
        }
        var configuration = TLSConfiguration(certificates: files)
        guard let version = TLSConfiguration.Version(rawValue: tlsMinVersion) else {
            throw ValidationError("--tls-min-version must be 1.2 or 1.3")
        }
        configuration.minimumVersion = version
        if let tlsCiphers { configuration.cipherList = tlsCiphers }
        configuration.clientCAPath = tlsCa
        configuration.verifyPeer = tlsVerifyPeer
        return configuration
    }

    /// Gives every TLS listener the flags' certificate; a TLS listener without one, or a certificate
    /// with no TLS listener, is an error that says what to write.
    func apply(to listeners: inout [ListenerConfiguration]) throws {
        let tls = try configuration()
        for index in listeners.indices where listeners[index].requiresTLS {
            guard let tls else {
                throw ValidationError(
                    "\(listeners[index].scheme)://\(listeners[index].address) needs --tls-certificate and --tls-private-key"
                )
            }
            listeners[index].tls = tls
        }
        if tls != nil && !listeners.contains(where: \.requiresTLS) {
            throw ValidationError(
                "--tls-certificate is given but no listener uses TLS: write wss://…, ssl://… or e.g. text+tls://…")
        }
    }
}
