import Foundation
import Glibc

/// The takeover scenario's `ringgate start`: its Register, a WebSocket gateway and an admin port, run from a
/// copy of the release binary in the results folder (an upgrade starts the binary at the running process's
/// own path, so a rebuild during the run cannot change what is measured). After the upgrade the new process
/// serves the same ports; it is not this run's child, so it is ended by pid. The log is JSON for its
/// millisecond timestamps: the handover's steps (`handing over`, `adopted`, `handed over`) can be timed.
final class TakeoverGateway {
    let registerPort: UInt16
    let clientPort: UInt16
    let admin: AdminEndpoint
    let binary: String
    let process: ChildProcess
    /// The process that took over, once the upgrade reported it.
    var successor: Int32 = 0
    private let settings: RunSettings

    init(settings: RunSettings, shards: Int, secretKey: String) throws {
        self.settings = settings
        registerPort = settings.port()
        clientPort = settings.port()
        admin = AdminEndpoint(port: settings.port())
        let startPort = settings.portRun(shards)
        binary = settings.resultsFolder.appendingPathComponent("ringgate").path
        try? FileManager.default.removeItem(atPath: binary)
        try FileManager.default.copyItem(atPath: settings.ringgatePath, toPath: binary)
        let values = [
            "log_level=info", "log_format=json", "admin.listen=127.0.0.1:\(admin.port)",
            "register.enabled=true", "register.listen=127.0.0.1:\(registerPort)", "register.secret_key=\(secretKey)",
            "gateway.listen=websocket://127.0.0.1:\(clientPort)", "gateway.start_port=\(startPort)",
            "gateway.shards=\(shards)", "gateway.threads=\(settings.gatewayCPUs.count)", "gateway.huge_pages=off",
            "gateway.register_address=127.0.0.1:\(registerPort)", "gateway.secret_key=\(secretKey)",
            "gateway.websocket_frame_type=mirror", "worker_demo.enabled=false",
        ]
        process = try ChildProcess(
            name: "ringgate start", arguments: [binary, "start"] + values.flatMap { ["--set", $0] },
            logPath: settings.logPath("ringgate-start"), cpus: settings.gatewayCPUs)
        let deadline = Date().addingTimeInterval(20)
        while !LoopbackPort.accepts(clientPort) || admin.shards() == nil {
            guard Date() < deadline, process.isRunning else {
                stop()
                throw BenchmarkFailure(
                    "ringgate start did not serve on \(clientPort); see \(settings.logPath("ringgate-start"))")
            }
            usleep(100_000)
        }
    }

    /// Waits (20 s at most) until the worker is linked to every shard.
    func waitForWorkers(shards: Int) throws {
        let deadline = Date().addingTimeInterval(20)
        while true {
            if let now = admin.shards(), now.workers.count == shards, now.workers.allSatisfy({ $0 >= 1 }) { return }
            guard Date() < deadline else {
                throw BenchmarkFailure(
                    "the worker did not link to every shard in 20 s (\(admin.shards()?.workers ?? [])); see "
                        + settings.resultsFolder.path)
            }
            usleep(200_000)
        }
    }

    /// `ringgate upgrade --admin …`: its exit status and its output (stdout and stderr).
    func upgrade() -> (status: Int32, output: String) {
        let command = Process()
        command.executableURL = URL(fileURLWithPath: binary)
        command.arguments = ["upgrade", "--admin", "127.0.0.1:\(admin.port)"]
        let pipe = Pipe()
        command.standardOutput = pipe
        command.standardError = pipe
        do { try command.run() } catch { return (-1, "cannot run \(binary) upgrade: \(error)") }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        command.waitUntilExit()
        return (command.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    func stop() {
        process.stop(grace: 10)
        defer { try? FileManager.default.removeItem(atPath: binary) }  // results hold reports, not binaries
        guard successor > 0 else { return }
        // Not our child: SIGTERM (it drains its clients), then SIGKILL; gone once its /proc entry is a zombie
        // or absent (its parent, the old process, has exited; init reaps it).
        kill(successor, SIGTERM)
        let deadline = Date().addingTimeInterval(15)
        while Self.alive(successor), Date() < deadline { usleep(50_000) }
        if Self.alive(successor) { kill(successor, SIGKILL) }
        ChildProcess.forget(successor)
        successor = 0
    }

    private static func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[close...].hasPrefix(") Z")
    }
}
