import Glibc
import RingGate
import RingGateTLS

extension StartupChecks {
    /// Certificates expiring within this many seconds are reported.
    static let certificateWarningSeconds: Int64 = 14 * 86_400

    /// Each TLS listener's files load and every key matches its certificate (fatal otherwise, with
    /// OpenSSL's reason); a certificate that expired, or expires within 14 days, is reported.
    static func certificates(_ gateway: GatewayConfiguration, now: Int64 = Int64(time(nil))) -> [StartupFinding] {
        let contexts: [TLSContext?]
        do {
            contexts = try GatewayServer.loadTLS(gateway.listeners)
        } catch {
            return [StartupFinding(severity: .fatal, message: error.message)]
        }
        var findings: [StartupFinding] = []
        var seen: Set<String> = []
        for context in contexts.compactMap({ $0 }) {
            for certificate in context.certificates where seen.insert(certificate.chainPath).inserted {
                findings += expiry(certificate, now: now)
            }
        }
        return findings
    }

    static func expiry(_ certificate: TLSCertificateInfo, now: Int64) -> [StartupFinding] {
        let left = certificate.notAfter - now
        let name = "\(certificate.chainPath) (\(certificate.subject))"
        if left <= 0 {
            return [
                StartupFinding(
                    severity: .warning,
                    message: "certificate \(name) expired \(-left / 86_400) days ago: browsers refuse it; renew it "
                        + "and run `ringgate reload`")
            ]
        }
        if left < certificateWarningSeconds {
            return [
                StartupFinding(
                    severity: .warning,
                    message: "certificate \(name) expires in \(left / 86_400) days \((left % 86_400) / 3_600) hours: "
                        + "renew it and run `ringgate reload`")
            ]
        }
        return [
            StartupFinding(
                severity: .info, message: "certificate \(name) valid for \(left / 86_400) more days, key matches")
        ]
    }
}
