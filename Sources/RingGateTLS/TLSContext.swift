import CLibSSL
import Glibc

/// What a loaded certificate says about itself, for metrics and `check-config`.
public struct TLSCertificateInfo: Sendable, Equatable {
    public var chainPath: String
    public var subject: String
    /// notAfter, seconds since the epoch.
    public var notAfter: Int64

    public init(chainPath: String, subject: String, notAfter: Int64) {
        self.chainPath = chainPath
        self.subject = subject
        self.notAfter = notAfter
    }
}

/// Loaded certificates and settings for one listener: an OpenSSL context per certificate, the first the
/// default and the others picked by SNI. Immutable once built and shared by every shard (OpenSSL
/// contexts are thread-safe for creating sessions); a reload builds a new one and new handshakes use it
/// while sessions made from the old one keep it alive.
///
/// Safety: the contexts and the SNI selector are freed in deinit only, after every session holding the
/// context (a strong reference) is gone.
public final class TLSContext: @unchecked Sendable {
    let contexts: [OpaquePointer]
    private let selector: OpaquePointer?
    public let certificates: [TLSCertificateInfo]
    public let isServer: Bool

    /// A server context for `configuration`; throws with OpenSSL's reason when a file is unreadable, a
    /// key does not match its certificate, or a setting is refused.
    public convenience init(server configuration: TLSConfiguration) throws(TLSError) {
        guard !configuration.certificates.isEmpty else { throw TLSError("TLS needs a certificate and a private key") }
        if configuration.verifyPeer && configuration.clientCAPath == nil {
            throw TLSError("verify_peer needs a CA file (cafile) to verify client certificates against")
        }
        var contexts: [OpaquePointer] = []
        for files in configuration.certificates {
            let made = Self.makeContext(
                server: true, chainPath: files.chainPath, privateKeyPath: files.privateKeyPath,
                minimumVersion: configuration.minimumVersion, maximumVersion: nil,
                cipherList: configuration.cipherList, cipherSuites: configuration.cipherSuites,
                caPath: configuration.clientCAPath, verifyPeer: configuration.verifyPeer, alpnHTTP11: true)
            switch made {
            case .success(let context): contexts.append(context)
            case .failure(let error):
                contexts.forEach { CLibSSL_context_free($0) }
                throw error
            }
        }
        try self.init(contexts: contexts, server: true, paths: configuration.certificates.map(\.chainPath))
    }

    /// A client context (tests, benchmarks): verifies the server against `caPath` when given.
    public convenience init(
        clientTrusting caPath: String?, minimumVersion: TLSConfiguration.Version? = nil,
        maximumVersion: TLSConfiguration.Version? = nil, cipherList: String? = nil,
        certificateChainPath: String? = nil, privateKeyPath: String? = nil, alpnHTTP11: Bool = false
    ) throws(TLSError) {
        let made = Self.makeContext(
            server: false, chainPath: certificateChainPath, privateKeyPath: privateKeyPath,
            minimumVersion: minimumVersion, maximumVersion: maximumVersion, cipherList: cipherList, cipherSuites: nil,
            caPath: caPath, verifyPeer: caPath != nil, alpnHTTP11: alpnHTTP11)
        switch made {
        case .success(let context):
            try self.init(contexts: [context], server: false, paths: [certificateChainPath ?? ""])
        case .failure(let error): throw error
        }
    }

    private init(contexts: [OpaquePointer], server: Bool, paths: [String]) throws(TLSError) {
        var selector: OpaquePointer? = nil
        if contexts.count > 1 {
            selector = contexts.withUnsafeBufferPointer { all in
                all.withMemoryRebound(to: OpaquePointer?.self) {
                    CLibSSL_sni_install(contexts[0], $0.baseAddress, $0.count)
                }
            }
            guard selector != nil else {
                contexts.forEach { CLibSSL_context_free($0) }
                throw TLSError("out of memory installing the SNI selector")
            }
        }
        self.contexts = contexts
        self.selector = selector
        self.isServer = server
        var certificates: [TLSCertificateInfo] = []
        for (context, path) in zip(contexts, paths) {
            var subject = [CChar](repeating: 0, count: 512)
            CLibSSL_context_subject(context, &subject, subject.count)
            certificates.append(
                TLSCertificateInfo(
                    chainPath: path, subject: cString(subject), notAfter: CLibSSL_context_not_after(context)))
        }
        self.certificates = certificates
    }

    deinit {
        contexts.forEach { CLibSSL_context_free($0) }
        CLibSSL_sni_free(selector)
    }

    /// The default context new sessions start on.
    var primary: OpaquePointer { contexts[0] }

    private static func makeContext(
        server: Bool, chainPath: String?, privateKeyPath: String?, minimumVersion: TLSConfiguration.Version?,
        maximumVersion: TLSConfiguration.Version?, cipherList: String?, cipherSuites: String?, caPath: String?,
        verifyPeer: Bool, alpnHTTP11: Bool
    ) -> Result<OpaquePointer, TLSError> {
        var error = [CChar](repeating: 0, count: 512)
        let context = withOptionalCString(chainPath) { chain in
            withOptionalCString(privateKeyPath) { key in
                withOptionalCString(cipherList) { list in
                    withOptionalCString(cipherSuites) { suites in
                        withOptionalCString(caPath) { ca in
                            var options = CLibSSL_ContextOptions(
                                server: server ? 1 : 0, certificate_chain_path: chain, private_key_path: key,
                                minimum_version: protocolNumber(minimumVersion),
                                maximum_version: protocolNumber(maximumVersion), cipher_list: list,
                                cipher_suites: suites, ca_path: ca, verify_peer: verifyPeer ? 1 : 0,
                                alpn_http11: alpnHTTP11 ? 1 : 0)
                            return CLibSSL_context_new(&options, &error, error.count)
                        }
                    }
                }
            }
        }
        guard let context else {
            return .failure(TLSError(cString(error)))
        }
        return .success(context)
    }

    private static func protocolNumber(_ version: TLSConfiguration.Version?) -> Int32 {
        switch version {
        case nil: return 0
        case .tls12: return TLS1_2_VERSION
        case .tls13: return TLS1_3_VERSION
        }
    }
}

func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
