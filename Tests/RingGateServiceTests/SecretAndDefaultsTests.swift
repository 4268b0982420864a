import Foundation
import Glibc
import RingGateRuntime
import Testing

@testable import RingGateService

/// The secret from a file (never required on argv), the empty-secret exposure warnings of
/// `check-config`, and the production config without the demo.
@Suite struct SecretAndDefaultsTests {
    /// A file holding `contents` with `mode`; the caller unlinks it.
    private func secretFile(_ contents: String, mode: mode_t = 0o600) -> String {
        let path = "/tmp/ringgate-secret-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        _ = FileManager.default.createFile(atPath: path, contents: Data(contents.utf8))
        chmod(path, mode)
        return path
    }

    @Test func aSecretFileHoldsOneLineWithItsNewlineStripped() throws {
        for (contents, expected) in [("s3cret\n", "s3cret"), ("s3cret", "s3cret"), ("s3 cret\r\n", "s3 cret")] {
            let path = secretFile(contents)
            defer { unlink(path) }
            #expect(try SecretKeyFile.read(path) == expected)
        }
    }

    @Test func badSecretFilesSayWhatIsWrong() {
        func problem(_ path: String) -> String? {
            do {
                _ = try SecretKeyFile.read(path)
                return nil
            } catch { return error.message }
        }
        let empty = secretFile("\n")
        let twoLines = secretFile("a\nb\n")
        let unreadable = secretFile("s3cret\n", mode: 0o000)
        defer { for path in [empty, twoLines, unreadable] { unlink(path) } }
        #expect(
            problem(empty)
                == "secret key file \(empty) is empty: write the secret into it, or, to run without a secret (anyone "
                + "who reaches the inner ports can then command the gateway), do not give a secret key file at all")
        #expect(problem(twoLines) == "secret key file \(twoLines) holds more than one line: it must hold one secret")
        #expect(problem("/nonexistent/secret") == "cannot read secret key file /nonexistent/secret: no such file")
        #expect(problem("/tmp") == "cannot read secret key file /tmp: it is a directory")
        if getuid() != 0 {  // root reads a 0000 file
            #expect(
                problem(unreadable) == "cannot read secret key file \(unreadable): permission denied for this user")
        }
    }

    @Test func aWorldReadableSecretFileIsWarnedAbout() {
        let open = secretFile("s3cret\n", mode: 0o644)
        let closed = secretFile("s3cret\n", mode: 0o640)
        defer { for path in [open, closed] { unlink(path) } }
        #expect(
            SecretKeyFile.permissionWarning(open)
                == "secret key file \(open) is readable by every user of this host (mode 0644): chmod 0600 it (or "
                + "0640 with the service's group), or use a systemd credential (LoadCredential=)")
        #expect(SecretKeyFile.permissionWarning(closed) == nil)
    }

    @Test func configKeysReadTheSecretFromAFileOrItsEnvironmentVariable() throws {
        let path = secretFile("from-file\n")
        defer { unlink(path) }
        let yaml = "register:\n  secret_key_file: \(path)\ngateway:\n  secret_key: \"\"\n  secret_key_file: \(path)\n"
        let configuration = try ConfigurationLoader.load(fileContents: yaml)
        #expect(configuration.register.secretKey == "from-file" && configuration.gateway.secretKey == "from-file")
        #expect(configuration.gateway.secretKeyFile == path)
        let fromEnvironment = try ConfigurationLoader.load(
            environment: [
                "RINGGATE_REGISTER_SECRET_KEY_FILE": path, "RINGGATE_GATEWAY_SECRET_KEY_FILE": path,
                "RINGGATE_WORKER_DEMO_SECRET_KEY_FILE": path,
            ])
        #expect(fromEnvironment.workerDemo.secretKey == "from-file")
        #expect(StartupChecks.secrets(fromEnvironment).isEmpty)
    }

    @Test func configProblemsWithSecretFiles() {
        let empty = secretFile("")
        let valid = secretFile("b\n")
        defer { for path in [empty, valid] { unlink(path) } }
        func problems(_ yaml: String) -> [String] {
            do {
                _ = try ConfigurationLoader.load(fileContents: yaml, fileName: "ringgate.yaml")
                return []
            } catch { return error.problems }
        }
        #expect(
            problems("gateway:\n  secret_key_file: /nonexistent/secret\n")
                == [
                    "ringgate.yaml:2: gateway.secret_key_file: cannot read secret key file /nonexistent/secret: no such file"
                ])
        #expect(problems("register:\n  secret_key_file: \(empty)\n").first?.contains("is empty") == true)
        #expect(
            problems("worker_demo:\n  secret_key: a\n  secret_key_file: \(valid)\n")
                == ["worker_demo.secret_key and worker_demo.secret_key_file are both set: give one"])
    }

    @Test func anEmptySecretWithNonLoopbackAddressesIsWarnedAbout() throws {
        var configuration = ServiceConfiguration()
        #expect(StartupChecks.secrets(configuration).isEmpty)  // the embedded default stays on loopback
        configuration.gateway.lanIP = "10.0.0.5"
        configuration.gateway.registerAddresses = [SocketAddress("10.0.0.9:1236")!, SocketAddress("127.0.0.1:1238")!]
        configuration.register.listen = SocketAddress("0.0.0.0:1238")!
        #expect(
            StartupChecks.secrets(configuration).map(\.description) == [
                "warning: gateway.secret_key is empty and gateway.lan_ip 10.0.0.5 is not a loopback address: anyone "
                    + "who reaches the worker ports (10.0.0.5:2900 and up) can command the gateway (send to and close "
                    + "any client, read sessions); set a secret key file, the same secret on the Register and every "
                    + "worker",
                "warning: gateway.secret_key is empty and gateway.register_address 10.0.0.9:1236 is not a loopback "
                    + "address: the Register then accepts anyone, who can point this gateway's workers elsewhere or "
                    + "learn its address; set a secret key file, the same secret on the Register and every worker",
                "warning: register.secret_key is empty and register.listen 0.0.0.0:1238 is not a loopback address: "
                    + "anyone who reaches it can register a gateway address of their choosing (workers then connect "
                    + "to it) or learn every gateway; set register.secret_key_file",
            ])
        configuration.gateway.secretKey = "s"
        configuration.register.secretKey = "s"
        #expect(StartupChecks.secrets(configuration).isEmpty)
    }

    @Test func theProductionConfigHasNoDemoAndTheEmbeddedDefaultKeepsIt() throws {
        let path = #filePath.split(separator: "/").dropLast(3).joined(separator: "/") + "/deploy/ringgate.yaml"
        let text = try #require(try? String(contentsOfFile: "/" + path, encoding: .utf8), "deploy/ringgate.yaml")
        let production = try ConfigurationLoader.load(fileContents: text)
        #expect(!production.gateway.demoPage, "deploy/ringgate.yaml serves the demo page")
        #expect(!production.workerDemo.enabled, "deploy/ringgate.yaml runs the demo worker")
        let embedded = try ConfigurationLoader.load()
        #expect(embedded.gateway.demoPage && embedded.workerDemo.enabled)
    }
}
