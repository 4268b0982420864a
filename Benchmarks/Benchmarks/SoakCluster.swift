import Foundation
import Glibc

/// The soak's real processes: `ringgate register`, `ringgate gateway` (never restarted by the harness)
/// and `ringgate echo-worker`s found through the Register, each of which the schedule may kill, stop
/// and restart. Every process is a ChildProcess, so a failed or interrupted run still ends them all.
final class SoakCluster {
    let registerPort: UInt16
    let clientPort: UInt16
    let innerAddresses: [String]
    let secretKey: String
    let gateway: ChildProcess
    private(set) var register: ChildProcess
    private(set) var workers: [ChildProcess?]
    private let settings: RunSettings

    init(settings: RunSettings, shards: Int, workers workerCount: Int, secretKey: String) throws {
        self.settings = settings
        self.secretKey = secretKey
        registerPort = settings.port()
        clientPort = settings.port()
        let startPort = settings.portRun(shards)
        innerAddresses = (0..<shards).map { "127.0.0.1:\(startPort + UInt16($0))" }
        register = try Self.startRegister(settings: settings, port: registerPort, secretKey: secretKey)
        gateway = try ChildProcess(
            name: "ringgate gateway",
            arguments: [
                settings.ringgatePath, "gateway", "websocket://127.0.0.1:\(clientPort)", "--shards", "\(shards)",
                "--start-port", "\(startPort)", "--register-address", "127.0.0.1:\(registerPort)",
                "--secret-key", secretKey, "--websocket-frame-type", "mirror", "--log-level", "notice",
            ], logPath: settings.logPath("ringgate-gateway"), cpus: settings.gatewayCPUs)
        workers = Array(repeating: nil, count: workerCount)
        do {
            let deadline = Date().addingTimeInterval(15)
            while !LoopbackPort.accepts(clientPort) {
                guard Date() < deadline, gateway.isRunning else {
                    throw BenchmarkFailure(
                        "the gateway did not listen on \(clientPort); see \(settings.logPath("ringgate-gateway"))")
                }
                usleep(50_000)
            }
            for index in 0..<workerCount { try startWorker(index) }
        } catch {
            stop()
            throw error
        }
    }

    private static func startRegister(settings: RunSettings, port: UInt16, secretKey: String) throws -> ChildProcess {
        let process = try ChildProcess(
            name: "ringgate register",
            arguments: [
                settings.ringgatePath, "register", "--listen", "127.0.0.1:\(port)", "--secret-key", secretKey,
            ], logPath: settings.logPath("ringgate-register"), cpus: settings.generatorCPUs)
        let deadline = Date().addingTimeInterval(10)
        while !LoopbackPort.accepts(port) {
            guard Date() < deadline, process.isRunning else {
                process.stop()
                throw BenchmarkFailure("the Register did not listen on \(port)")
            }
            usleep(50_000)
        }
        return process
    }

    var workersAlive: Int { workers.filter { $0?.isRunning == true }.count }

    func startWorker(_ index: Int) throws {
        workers[index] = try ChildProcess(
            name: "ringgate echo-worker \(index)",
            arguments: [
                settings.ringgatePath, "echo-worker", "--register-address", "127.0.0.1:\(registerPort)",
                "--secret-key", secretKey, "--log-level", "warning",
                // A key (ip:name:index) of its own: two workers under one key replace each other forever.
                "--name", "SoakEcho\(index)",
            ], logPath: settings.logPath("ringgate-echo-worker-\(index)"), cpus: settings.generatorCPUs)
    }

    /// SIGKILL (no goodbye to the gateway), reaped at once so no zombie or descriptor is left.
    func killWorker(_ index: Int) {
        guard let worker = workers[index] else { return }
        kill(worker.pid, SIGKILL)
        worker.stop(grace: 0)
        workers[index] = nil
    }

    func signalWorker(_ index: Int, _ signal: Int32) {
        if let worker = workers[index] { kill(worker.pid, signal) }
    }

    /// SIGTERM and a new Register on the same port (the gateway and workers reconnect by themselves).
    func restartRegister() throws {
        register.stop()
        var attempt = 0
        while true {
            do {
                register = try Self.startRegister(settings: settings, port: registerPort, secretKey: secretKey)
                return
            } catch {
                attempt += 1
                if attempt >= 5 { throw error }
                usleep(500_000)
            }
        }
    }

    func stop() {
        for index in workers.indices {
            if let worker = workers[index] {
                kill(worker.pid, SIGCONT)
                worker.stop()
            }
        }
        gateway.stop(grace: 10)
        register.stop()
    }
}

extension SoakCluster {
    /// Established connections on each shard's inner port (workers, plus a GatewayClient mid-query), from
    /// `ss` (filtered in the kernel, cheap even with 200k sockets): shows whether every worker is linked
    /// to every shard before one is killed.
    func innerLinksPerShard() -> [Int] {
        let ports = innerAddresses.compactMap { $0.split(separator: ":").last.flatMap { UInt16($0) } }
        var counts = Array(repeating: 0, count: ports.count)
        guard let first = ports.min(), let last = ports.max() else { return counts }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ss")
        process.arguments = ["-Htn", "state", "established", "( sport >= :\(first) and sport <= :\(last) )"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return counts }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            // Recv-Q Send-Q Local:Port Peer:Port
            let fields = line.split(separator: " ")
            guard fields.count >= 3, let local = fields[2].split(separator: ":").last, let port = UInt16(local),
                let shard = ports.firstIndex(of: port)
            else { continue }
            counts[shard] += 1
        }
        return counts
    }
}
