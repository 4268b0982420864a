import RingGate
import RingGateRuntime
import RingGateTLS
import Testing

@testable import RingGateService

/// The `tls` section, TLS listener schemes, and the reload's changed-key report.
@Suite struct TLSConfigurationTests {
    private func problems(_ yaml: String? = nil, environment: [String: String] = [:], overrides: [String] = [])
        -> [String]
    {
        do {
            _ = try ConfigurationLoader.load(
                fileContents: yaml, fileName: "ringgate.yaml", environment: environment, overrides: overrides)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func tlsSectionFromFileEnvironmentAndFlags() throws {
        let yaml = """
            gateway:
              listen: [ "wss://0.0.0.0:443", "text+tls://0.0.0.0:9000", "websocket://0.0.0.0:8282" ]
            tls:
              local_cert: /etc/ringgate/tls/fullchain.pem
              local_pk: /etc/ringgate/tls/privkey.pem
              sni_certificates: [ "/etc/ringgate/tls/other.pem:/etc/ringgate/tls/other.key" ]
              cafile: /etc/ringgate/tls/clients.pem
              verify_peer: true
              min_version: "1.3"
            """
        let configuration = try ConfigurationLoader.load(
            fileContents: yaml, environment: ["RINGGATE_TLS_CIPHERS": "ECDHE-RSA-AES128-GCM-SHA256"])
        let gateway = try configuration.gatewayConfiguration()
        #expect(gateway.listeners.map(\.scheme) == ["wss", "text+tls", "websocket"])
        let tls = try #require(gateway.listeners[0].tls)
        #expect(gateway.listeners[1].tls == tls && gateway.listeners[2].tls == nil)
        #expect(
            tls.certificates.map(\.chainPath) == ["/etc/ringgate/tls/fullchain.pem", "/etc/ringgate/tls/other.pem"])
        #expect(tls.certificates[1].privateKeyPath == "/etc/ringgate/tls/other.key")
        #expect(tls.minimumVersion == .tls13 && tls.verifyPeer && tls.clientCAPath == "/etc/ringgate/tls/clients.pem")
        #expect(tls.cipherList == "ECDHE-RSA-AES128-GCM-SHA256")
    }

    @Test func tlsListenerWithoutCertificateOrKeyIsAProblem() {
        #expect(problems(overrides: ["gateway.listen=wss://0.0.0.0:443"]).contains { $0.contains("tls.local_cert") })
        #expect(
            problems(overrides: ["tls.local_cert=/c.pem", "gateway.listen=wss://0.0.0.0:443"]).contains {
                $0.contains("tls.local_pk")
            })
        #expect(
            problems(overrides: ["tls.local_cert=/c.pem", "tls.local_pk=/k.pem", "tls.verify_peer=true"]).contains {
                $0.contains("tls.cafile")
            })
        #expect(problems(overrides: ["tls.min_version=1.1"]).contains { $0.contains("1.2, 1.3") })
        #expect(problems(overrides: ["tls.sni_certificates=nocolon"]).contains { $0.contains("chain.pem:key.pem") })
    }

    /// The embedded default with a certificate serves its page and chat over https/wss.
    @Test func certificateTurnsTheDefaultListenerIntoWSS() throws {
        let configuration = try ConfigurationLoader.load(overrides: ["tls.local_cert=/c.pem", "tls.local_pk=/k.pem"])
        #expect(configuration.gateway.listen == ["wss://0.0.0.0:8282"])
        let explicit = try ConfigurationLoader.load(
            overrides: ["tls.local_cert=/c.pem", "tls.local_pk=/k.pem", "gateway.listen=websocket://0.0.0.0:80"])
        #expect(explicit.gateway.listen == ["websocket://0.0.0.0:80"])
    }

    @Test func listenerURLSchemes() throws {
        #expect(try ListenerConfiguration(url: "wss://127.0.0.1:443").requiresTLS)
        #expect(try ListenerConfiguration(url: "ssl://127.0.0.1:443").requiresTLS)
        #expect(try ListenerConfiguration(url: "frame+tls://127.0.0.1:443").requiresTLS)
        #expect(try !ListenerConfiguration(url: "websocket://127.0.0.1:80").requiresTLS)
        #expect(throws: RingGate.ConfigurationError.self) { try ListenerConfiguration(url: "bogus+tls://1.2.3.4:5") }
    }

    @Test func changedKeysAreTheOnesWhoseValuesDiffer() {
        let before = ConfigurationLoader.effectiveSettings(
            fileContents: "gateway:\n  shards: 2\ntls:\n  local_cert: /a.pem\n", environment: [:], overrides: [])
        let after = ConfigurationLoader.effectiveSettings(
            fileContents: "gateway:\n  shards: 4\ntls:\n  local_cert: /b.pem\n", environment: [:],
            overrides: ["log_level=debug"])
        let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
        #expect(changed == ["gateway.shards", "tls.local_cert", "log_level"])
        #expect(ConfigurationReload.liveKeyPrefixes.contains { "tls.local_cert".hasPrefix($0) })
    }

    @Test func expiryFindings() {
        let now: Int64 = 1_800_000_000
        func finding(daysLeft: Int64) -> StartupFinding {
            StartupChecks.expiry(
                TLSCertificateInfo(chainPath: "/c.pem", subject: "/CN=x", notAfter: now + daysLeft * 86_400), now: now
            )[0]
        }
        #expect(finding(daysLeft: 30).severity == .info)
        #expect(finding(daysLeft: 13).severity == .warning && finding(daysLeft: 13).message.contains("expires in 13"))
        #expect(finding(daysLeft: -2).message.contains("expired 2 days ago"))
    }
}
