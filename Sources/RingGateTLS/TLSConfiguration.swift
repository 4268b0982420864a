/// A listener's TLS settings, shaped like workerman's `ssl` context (`local_cert`, `local_pk`, `cafile`,
/// `verify_peer`, `ciphers`) so that a PHP deployment's values carry over.
public struct TLSConfiguration: Sendable, Equatable {
    /// One certificate chain (leaf first, PEM) and its private key (PEM).
    public struct CertificateFiles: Sendable, Equatable {
        public var chainPath: String
        public var privateKeyPath: String

        public init(chainPath: String, privateKeyPath: String) {
            self.chainPath = chainPath
            self.privateKeyPath = privateKeyPath
        }
    }

    public enum Version: String, Sendable, Equatable, CaseIterable {
        case tls12 = "1.2"
        case tls13 = "1.3"
    }

    /// The first is the default; the others are chosen by SNI when their certificate names the host
    /// the client asked for (subject alternative names, wildcards).
    public var certificates: [CertificateFiles]
    public var minimumVersion: Version = .tls12
    /// OpenSSL cipher list for TLS 1.2 (`ciphers` in workerman); nil: a modern AEAD-only default.
    public var cipherList: String? = TLSConfiguration.defaultCipherList
    /// TLS 1.3 suites (OpenSSL syntax); nil: OpenSSL's default.
    public var cipherSuites: String? = nil
    /// CA file for client certificates (`cafile`): clients are asked for a certificate signed by it.
    public var clientCAPath: String? = nil
    /// Refuse clients without a valid certificate (`verify_peer`); needs `clientCAPath`.
    public var verifyPeer = false

    /// Forward-secret AEAD suites only, as current browser baselines expect.
    public static let defaultCipherList =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    public init(certificates: [CertificateFiles]) {
        self.certificates = certificates
    }

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.init(certificates: [CertificateFiles(chainPath: certificateChainPath, privateKeyPath: privateKeyPath)])
    }
}

/// A TLS setting that cannot be used (unreadable or mismatched files, bad cipher list), with OpenSSL's
/// reason.
public struct TLSError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Why a handshake failed, as the `reason` label of `ringgate_tls_handshake_failures_total`.
public enum TLSHandshakeFailure: String, Sendable, CaseIterable {
    /// The client offered only versions below the minimum (or above what OpenSSL speaks).
    case unsupportedVersion = "unsupported_version"
    /// No cipher suite, group or signature algorithm in common.
    case noSharedCipher = "no_shared_cipher"
    /// The bytes were not a TLS handshake (plain HTTP, garbage).
    case notTLS = "not_tls"
    /// A certificate was refused: the client's (`verify_peer`), or ours by the client's alert.
    case certificate
    /// The client sent another fatal alert.
    case alert
    /// Any other violation of the handshake protocol.
    case `protocol`
    /// Not finished within the listener's handshake timeout.
    case timeout
    /// The client closed the connection before the handshake finished.
    case peerClosed = "peer_closed"
    /// OpenSSL could not allocate the session.
    case resources
}
