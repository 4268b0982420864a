import Glibc

/// Certificates made for one test with the openssl CLI in a temporary directory (removed afterwards):
/// nothing private is committed. `ca` signs every leaf; `otherCA` signs nothing the gateway uses.
public final class TestCertificates {
    public let directory: String

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init() throws {
        var template = Array("/tmp/ringgate-tls-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure(description: "mkdtemp failed: errno \(errno)")
        }
        directory = String(cString: made)
        try makeCA("ca")
        try makeCA("other-ca")
    }

    deinit { _ = Self.shell("rm -rf '\(directory)'") }

    public func path(_ name: String) -> String { "\(directory)/\(name)" }
    public var caPath: String { path("ca.pem") }
    public var otherCAPath: String { path("other-ca.pem") }

    /// Whether the openssl CLI is there (tests skip with a message without it).
    public static var available: Bool { shell("openssl version >/dev/null 2>&1") == 0 }

    /// A leaf `name`.pem / `name`.key for `commonName` (also its DNS name; 127.0.0.1 as IP), signed by
    /// `signer`; `days` -1 gives a certificate that expired yesterday. `rsa`: RSA-2048, else P-256.
    @discardableResult
    public func makeLeaf(
        _ name: String, commonName: String = "localhost", days: Int = 30, rsa: Bool = false, signer: String = "ca"
    ) throws -> (chain: String, key: String) {
        let key = rsa ? "-newkey rsa:2048" : "-newkey ec -pkeyopt ec_paramgen_curve:P-256"
        let extensions = "subjectAltName=DNS:\(commonName),IP:127.0.0.1"
        try run(
            "openssl req \(key) -nodes -keyout \(name).key -out \(name).csr -subj /CN=\(commonName)"
                + " && printf '\(extensions)\\n' > \(name).ext"
                + " && openssl x509 -req -in \(name).csr -CA \(signer).pem -CAkey \(signer).key -CAcreateserial"
                + " -out \(name).pem -days \(days) -extfile \(name).ext")
        return (path("\(name).pem"), path("\(name).key"))
    }

    private func makeCA(_ name: String) throws {
        try run(
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout \(name).key"
                + " -out \(name).pem -days 30 -subj /CN=RingGate-Test-\(name)")
    }

    /// Runs `command` in the directory; throws with its exit status.
    public func run(_ command: String) throws {
        let status = Self.shell("cd '\(directory)' && (\(command)) >/dev/null 2>&1")
        guard status == 0 else { throw Failure(description: "'\(command)' failed with status \(status)") }
    }

    @discardableResult
    static func shell(_ command: String) -> Int32 {
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xFF
    }
}
