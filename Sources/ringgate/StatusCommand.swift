import ArgumentParser
import Foundation
import Glibc
import RingGateRuntime
import RingGateService

/// Where the running process's admin endpoint is.
struct AdminOptions: ParsableArguments {
    @Option(help: "Admin endpoint of the running RingGate (admin.listen).")
    var admin: String = "127.0.0.1:9180"

    func address() throws -> SocketAddress {
        guard let address = SocketAddress(admin) else { throw ValidationError("--admin must be ip:port") }
        return address
    }

    func status() throws -> StatusDocument {
        let (code, body) = try AdminClient.get("/status", from: try address())
        guard code == 200 else { throw ValidationError("\(admin)/status answered \(code)") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(StatusDocument.self, from: Data(body))
    }
}

/// `ringgate status`: a per-shard table, like workerman's `php start.php status`.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Print the running RingGate's per-shard figures (from its admin endpoint).")

    @OptionGroup var options: AdminOptions

    @Flag(help: "Print the raw /status JSON instead of the table.")
    var json = false

    @Flag(
        name: [.customLong("watch"), .customShort("d")],
        help: "Refresh every --interval seconds until Ctrl-C (workerman's `status -d`).")
    var watch = false

    @Option(help: "Seconds between refreshes with --watch.")
    var interval: Double = 1

    func validate() throws {
        guard interval >= 0.1, interval <= 3_600 else { throw ValidationError("--interval must be 0.1 to 3600 s") }
    }

    func run() throws {
        if watch { return try StatusWatch.run(options: options, json: json, intervalSeconds: interval) }
        if json {
            let (_, body) = try AdminClient.get("/status", from: try options.address())
            print(String(decoding: body, as: UTF8.self), terminator: "")
            return
        }
        print(StatusTable.render(try options.status()), terminator: "")
    }
}

/// `ringgate stop`: SIGTERM to the running process (found through its admin endpoint), then wait for it
/// to drain and exit.
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop the running RingGate gracefully (drain, close 1001, exit 0).")

    @OptionGroup var options: AdminOptions

    @Option(help: "Seconds to wait for the process to exit.")
    var timeout: Double = 60

    func run() throws {
        let status = try options.status()
        print("stopping RingGate (pid \(status.pid))…")
        try GracefulStop.stop(pid: status.pid, timeoutSeconds: timeout)
        print("stopped")
    }
}

/// `ringgate reload`: the running process reads its configuration again and loads the TLS
/// certificates and keys for new handshakes (established connections continue); other changed keys
/// are listed as needing a restart. Exit 0: reloaded; 1: refused (bad files: the old ones stay in
/// use) or not running.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Reload certificates and keys in the running RingGate; list changed keys that need a restart.",
        discussion: "The same as SIGHUP (systemctl reload ringgate), with the outcome printed here.")

    @OptionGroup var options: AdminOptions

    func run() throws {
        try AdminClient.runAction("/reload", at: try options.address(), timeoutSeconds: 60)
    }
}
