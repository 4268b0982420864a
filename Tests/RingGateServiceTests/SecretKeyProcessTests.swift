import Foundation
import Glibc
import TestSupport
import Testing

/// The plain commands take the secret from `--secret-key-file` or `RINGGATE_SECRET_KEY` (kept out of
/// `ps`), still accept `--secret-key` with a warning, and refuse a bad file with EX_CONFIG (78).
@Suite(.serialized, .timeLimit(.minutes(2))) struct SecretKeyProcessTests {
    private func secretFile(_ contents: String) -> String {
        let path = "/tmp/ringgate-secret-process-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        _ = FileManager.default.createFile(atPath: path, contents: Data(contents.utf8))
        chmod(path, 0o600)
        return path
    }

    /// Whether the Register on `port` accepts a worker presenting `secret` (it replies with the gateway
    /// list; a wrong secret is closed without a reply).
    private func registerAccepts(port: UInt16, secret: String) throws -> Bool {
        let client = try TestClient(port: port)
        try client.send(#"{"event":"worker_connect","secret_key":"\#(secret)"}"# + "\n")
        return (try? client.receive(exactly: 1)) != nil
    }

    private func runRegister(_ extra: [String], environment: [String: String] = [:]) throws -> (RingGateProcess, UInt16)
    {
        let port = try freePorts(count: 1)[0]
        let register = try RingGateProcess(
            ["register", "--listen", "127.0.0.1:\(port)"] + extra, environment: environment)
        return (register, port)
    }

    @Test func theRegisterTakesItsSecretFromAFile() throws {
        let path = secretFile("k3y\n")
        defer { unlink(path) }
        let (register, port) = try runRegister(["--secret-key-file", path])
        try #require(register.waitForOutput("register listening", seconds: 30), "log:\n\(register.output)")
        #expect(try registerAccepts(port: port, secret: "k3y"))
        #expect(try !registerAccepts(port: port, secret: "k3y\\n"))
        #expect(!register.output.contains("visible to every user"))
        register.signal(SIGINT)
        #expect(register.exitStatus(within: 10) == 0)
    }

    @Test func theRegisterTakesItsSecretFromTheEnvironment() throws {
        let (register, port) = try runRegister([], environment: ["RINGGATE_SECRET_KEY": "env-k3y"])
        try #require(register.waitForOutput("register listening", seconds: 30), "log:\n\(register.output)")
        #expect(try registerAccepts(port: port, secret: "env-k3y"))
        #expect(try !registerAccepts(port: port, secret: ""))
        register.signal(SIGTERM)
        #expect(register.exitStatus(within: 10) == 0)
    }

    @Test func aSecretOnTheCommandLineStillWorksWithAWarning() throws {
        let (register, port) = try runRegister(["--secret-key", "argv-k3y"])
        try #require(register.waitForOutput("register listening", seconds: 30), "log:\n\(register.output)")
        #expect(try registerAccepts(port: port, secret: "argv-k3y"))
        #expect(
            register.output.contains(
                "--secret-key is visible to every user of this host (ps, /proc/PID/cmdline): use --secret-key-file or "
                    + "RINGGATE_SECRET_KEY instead"))
        register.signal(SIGINT)
        #expect(register.exitStatus(within: 10) == 0)
    }

    @Test func badSecretFilesEndEveryCommandWithExConfig() throws {
        let empty = secretFile("\n")
        defer { unlink(empty) }
        let ports = try freePorts(count: 2)
        let commands: [[String]] = [
            ["register", "--listen", "127.0.0.1:\(ports[0])"],
            [
                "gateway", "--shards", "1", "--no-huge-pages", "--start-port", "\(ports[1])",
                "--register-address", "127.0.0.1:\(ports[0])", "websocket://127.0.0.1:0",
            ],
            ["echo-worker", "--gateway-address", "127.0.0.1:\(ports[1])"],
            ["worker-demo", "--gateway-address", "127.0.0.1:\(ports[1])"],
        ]
        for command in commands {
            let missing = try RingGateProcess(command + ["--secret-key-file", "/nonexistent/secret"])
            #expect(missing.exitStatus(within: 20) == 78, "\(command[0]): \(missing.output)")
            #expect(missing.output.contains("cannot read secret key file /nonexistent/secret: no such file"))
            let blank = try RingGateProcess(command + ["--secret-key-file", empty])
            #expect(blank.exitStatus(within: 20) == 78, "\(command[0]): \(blank.output)")
            #expect(blank.output.contains("secret key file \(empty) is empty"))
        }
        let config = try RingGateProcess(["check-config", "--set", "gateway.secret_key_file=/nonexistent/secret"])
        #expect(config.exitStatus(within: 20) == 78, "\(config.output)")
        #expect(config.output.contains("gateway.secret_key_file: cannot read secret key file /nonexistent/secret"))
    }

    @Test func checkConfigWarnsAboutAnEmptySecretOnALanAddress() throws {
        let check = try RingGateProcess(["check-config", "--set", "gateway.lan_ip=10.255.0.5"])
        _ = check.exitStatus(within: 30)
        #expect(
            check.output.contains(
                "warning: gateway.secret_key is empty and gateway.lan_ip 10.255.0.5 is not a loopback address"),
            "\(check.output)")
    }
}
