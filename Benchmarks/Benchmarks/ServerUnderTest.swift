import BenchmarkReport
import Foundation
import Glibc
import LoadGenerator

/// A server a scenario measures: RingGate (echo mode, or gateway + Register + Swift echo worker), the
/// SwiftNIO baseline, a reference echo server, or an external gateway started by the user.
final class ServerUnderTest {
    let name: String
    let host = "127.0.0.1"
    /// Client ports by framing.
    let ports: [StreamFraming: UInt16]
    /// Processes whose CPU and memory count as "the gateway".
    let gatewayPIDs: [Int32]
    /// Cores the gateway may use (for the saturation check).
    let cores: Int
    /// Gateway inner addresses (RingGate gateway mode), for GatewayClient.
    let innerAddresses: [String]
    /// The NIO baseline's control port.
    let controlPort: UInt16?
    /// Connections this server can hold at all (PHP's select() loop: about 1,000 per process), if limited.
    let connectionLimit: Int?
    /// The Swift echo worker's process (relayed echo), measured apart from the gateway.
    let workerPIDs: [Int32]
    private let processes: [ChildProcess]

    private init(
        name: String, ports: [StreamFraming: UInt16], gatewayPIDs: [Int32], cores: Int, innerAddresses: [String] = [],
        controlPort: UInt16? = nil, connectionLimit: Int? = nil, workerPIDs: [Int32] = [],
        processes: [ChildProcess]
    ) {
        self.name = name
        self.ports = ports
        self.gatewayPIDs = gatewayPIDs
        self.cores = cores
        self.innerAddresses = innerAddresses
        self.controlPort = controlPort
        self.connectionLimit = connectionLimit
        self.workerPIDs = workerPIDs
        self.processes = processes
    }

    var cpuSeconds: Double { ProcessCPU.seconds(pids: gatewayPIDs) }
    /// The ports of `innerAddresses`: the local ports of the server's ends of worker links.
    var innerPorts: [UInt16] { innerAddresses.compactMap { $0.split(separator: ":").last.flatMap { UInt16($0) } } }
    var memory: ProcessMemory? { gatewayPIDs.first.flatMap { ProcessMemory.read(pid: $0) } }

    func stop() {
        for process in processes.reversed() { process.stop() }
    }

    /// Shards needed so that `connections` fit tables of `perShard` with 10% slack for SO_REUSEPORT's
    /// uneven spread; at least one per gateway CPU.
    static func shards(for connections: Int, gatewayCPUs: Int, perShard: Int = 19_000) -> Int {
        max(gatewayCPUs, (connections * 11 / 10 + perShard - 1) / perShard)
    }

    /// `ringgate echo` with a tcp:// and a websocket:// listener.
    static func ringgateEcho(settings: RunSettings, shards: Int) throws -> ServerUnderTest {
        let tcp = settings.port()
        let websocket = settings.port()
        let process = try ChildProcess(
            name: "ringgate echo",
            arguments: [
                settings.ringgatePath, "echo", "tcp://127.0.0.1:\(tcp)", "websocket://127.0.0.1:\(websocket)",
                "--shards", "\(shards)", "--log-level", "info",
            ], logPath: settings.logPath("ringgate-echo"), cpus: settings.gatewayCPUs)
        let server = ServerUnderTest(
            name: "RingGate", ports: [.tcp: tcp, .websocket: websocket], gatewayPIDs: [process.pid],
            cores: min(shards, settings.gatewayCPUs.count), processes: [process])
        try server.waitUntilListening(settings: settings)
        return server
    }

    /// Register, `ringgate gateway` and, with `echoWorker`, `ringgate echo-worker` connected to every shard.
    static func ringgateGateway(settings: RunSettings, shards: Int, echoWorker: Bool) throws -> ServerUnderTest {
        let register = settings.port()
        let client = settings.port()
        let startPort = settings.portRun(shards)
        let inner = (0..<shards).map { "127.0.0.1:\(startPort + UInt16($0))" }
        var processes: [ChildProcess] = []
        do {
            processes.append(
                try ChildProcess(
                    name: "ringgate register",
                    arguments: [settings.ringgatePath, "register", "--listen", "127.0.0.1:\(register)"],
                    logPath: settings.logPath("ringgate-register"), cpus: settings.generatorCPUs))
            let gateway = try ChildProcess(
                name: "ringgate gateway",
                arguments: [
                    settings.ringgatePath, "gateway", "websocket://127.0.0.1:\(client)", "--shards", "\(shards)",
                    "--start-port", "\(startPort)", "--register-address", "127.0.0.1:\(register)",
                    "--websocket-frame-type", "mirror", "--log-level", "warning",
                ], logPath: settings.logPath("ringgate-gateway"), cpus: settings.gatewayCPUs)
            processes.append(gateway)
            let server = ServerUnderTest(
                name: "RingGate", ports: [.websocket: client], gatewayPIDs: [gateway.pid],
                cores: min(shards, settings.gatewayCPUs.count), innerAddresses: inner, processes: processes)
            try server.waitUntilListening(settings: settings)
            if echoWorker {
                let worker = try ChildProcess(
                    name: "ringgate echo-worker",
                    arguments: [settings.ringgatePath, "echo-worker", "--log-level", "warning"]
                        + inner.flatMap { ["--gateway-address", $0] },
                    logPath: settings.logPath("ringgate-echo-worker"), cpus: settings.generatorCPUs)
                usleep(1_000_000)  // the worker connects to every shard; its first echo check confirms it
                return ServerUnderTest(
                    name: "RingGate", ports: [.websocket: client], gatewayPIDs: [gateway.pid],
                    cores: server.cores, innerAddresses: inner, workerPIDs: [worker.pid],
                    processes: processes + [worker])
            }
            return server
        } catch {
            processes.reversed().forEach { $0.stop() }
            throw error
        }
    }

    /// The SwiftNIO baseline (`NIOBaseline --listen --framing [--threads] --control`).
    static func nio(settings: RunSettings, framing: StreamFraming) throws -> ServerUnderTest? {
        guard let path = settings.nioPath else { return nil }
        let port = settings.port()
        let control = settings.port()
        let process = try ChildProcess(
            name: "NIOBaseline",
            arguments: [
                path, "--listen", "127.0.0.1:\(port)", "--framing", framing.rawValue, "--threads",
                "\(settings.gatewayCPUs.count)", "--control", "127.0.0.1:\(control)",
            ], logPath: settings.logPath("nio-baseline"), cpus: settings.gatewayCPUs)
        let server = ServerUnderTest(
            name: "NIO", ports: [framing: port], gatewayPIDs: [process.pid], cores: settings.gatewayCPUs.count,
            controlPort: control, processes: [process])
        try server.waitUntilListening(settings: settings)
        return server
    }

    /// The C fan-out reference (Benchmarks/Reference/fanout.c): WebSocket clients, broadcasts from its control port.
    static func referenceFanout(_ programs: ReferencePrograms, settings: RunSettings, rings: Int) throws
        -> ServerUnderTest
    {
        let port = settings.port()
        let control = settings.port()
        let process = try ChildProcess(
            name: "reference fan-out",
            arguments: [
                programs.fanoutPath, "--port", "\(port)", "--control", "\(control)", "--rings", "\(rings)",
            ], logPath: settings.logPath("reference-fanout"), cpus: settings.gatewayCPUs)
        let server = ServerUnderTest(
            name: referenceName, ports: [.websocket: port], gatewayPIDs: [process.pid],
            cores: min(rings, settings.gatewayCPUs.count), controlPort: control, processes: [process])
        try server.waitUntilListening(settings: settings)
        return server
    }

    /// The C relay reference (Benchmarks/Reference/relay.c) with `ringgate echo-worker` connected to each ring.
    static func referenceRelay(_ programs: ReferencePrograms, settings: RunSettings, rings: Int) throws
        -> ServerUnderTest
    {
        let port = settings.port()
        let innerPort = settings.portRun(rings)
        let inner = (0..<rings).map { "127.0.0.1:\(innerPort + UInt16($0))" }
        let relay = try ChildProcess(
            name: "reference relay",
            arguments: [programs.relayPath, "--port", "\(port)", "--inner", "\(innerPort)", "--rings", "\(rings)"],
            logPath: settings.logPath("reference-relay"), cpus: settings.gatewayCPUs)
        var processes = [relay]
        do {
            let server = ServerUnderTest(
                name: referenceName, ports: [.websocket: port], gatewayPIDs: [relay.pid],
                cores: min(rings, settings.gatewayCPUs.count), innerAddresses: inner, processes: processes)
            try server.waitUntilListening(settings: settings)
            let worker = try ChildProcess(
                name: "ringgate echo-worker",
                arguments: [settings.ringgatePath, "echo-worker", "--log-level", "warning"]
                    + inner.flatMap { ["--gateway-address", $0] },
                logPath: settings.logPath("reference-echo-worker"), cpus: settings.generatorCPUs)
            processes.append(worker)
            usleep(1_000_000)  // the worker connects to every ring
            return ServerUnderTest(
                name: referenceName, ports: [.websocket: port], gatewayPIDs: [relay.pid],
                cores: min(rings, settings.gatewayCPUs.count), innerAddresses: inner, workerPIDs: [worker.pid],
                processes: processes)
        } catch {
            processes.reversed().forEach { $0.stop() }
            throw error
        }
    }

    /// How the C reference programs appear in results and reports.
    static let referenceName = ReportFiles.referenceServer

    /// A reference raw echo server given as NAME=COMMAND with {PORT}.
    static func reference(_ specification: String, settings: RunSettings) throws -> ServerUnderTest {
        guard let equals = specification.firstIndex(of: "=") else {
            throw BenchmarkFailure("--reference wants NAME=COMMAND, got '\(specification)'")
        }
        let port = settings.port()
        let command = specification[specification.index(after: equals)...].replacingOccurrences(
            of: "{PORT}", with: "\(port)")
        let process = try ChildProcess(
            name: String(specification[..<equals]), arguments: ["/bin/sh", "-c", "exec " + command],
            logPath: settings.logPath("reference"), cpus: settings.gatewayCPUs)
        let server = ServerUnderTest(
            name: String(specification[..<equals]), ports: [.tcp: port], gatewayPIDs: [process.pid],
            cores: settings.gatewayCPUs.count, processes: [process])
        try server.waitUntilListening(settings: settings)
        return server
    }

    /// How the PHP GatewayWorker stack appears in results and reports.
    static let phpName = ReportFiles.phpServer

    /// The real PHP stack (`--php-gatewayworker DIR`, a lab laid out by scripts/php-compat/setup.sh): Register,
    /// one Gateway process pinned to the gateway CPUs and one echo BusinessWorker (Benchmarks/PHP/bench-stack.php),
    /// each its own workerman master. The gateway's figures are its worker process's. Nil when not asked for.
    static func php(settings: RunSettings) throws -> ServerUnderTest? {
        guard let lab = settings.options.phpGatewayworker else { return nil }
        guard FileManager.default.fileExists(atPath: lab + "/autoload.php") else {
            throw BenchmarkFailure(
                "--php-gatewayworker \(lab): no autoload.php there; lay the lab out with scripts/php-compat/setup.sh")
        }
        let script = ReferencePrograms.sourceFolder.deletingLastPathComponent()
            .appendingPathComponent("PHP/bench-stack.php").path
        let register = settings.port()
        let client = settings.port()
        let inner = settings.port()
        let runFolder = settings.resultsFolder.appendingPathComponent("php-run").path
        var processes: [ChildProcess] = []
        func start(_ role: String, cpus: [Int]) throws {
            processes.append(
                try ChildProcess(
                    name: "PHP \(role)",
                    arguments: [
                        "/usr/bin/env", "BENCH_ROLE=\(role)", "BENCH_LAB=\(lab)", "BENCH_RUN_DIR=\(runFolder)",
                        "BENCH_REGISTER_PORT=\(register)", "BENCH_WS_PORT=\(client)", "BENCH_START_PORT=\(inner)",
                        "php", script, "start",
                    ], logPath: settings.logPath("php-\(role)"), cpus: cpus))
        }
        do {
            try start("register", cpus: settings.generatorCPUs)
            usleep(300_000)
            try start("gateway", cpus: settings.gatewayCPUs)
            try start("worker", cpus: settings.generatorCPUs)
            let deadline = Date().addingTimeInterval(10)
            var gatewayPIDs: [Int32] = []
            while gatewayPIDs.isEmpty || !LoopbackPort.accepts(client) || !LoopbackPort.accepts(inner) {
                guard Date() < deadline, processes.allSatisfy(\.isRunning) else {
                    throw BenchmarkFailure(
                        "the PHP stack did not start; see php-*.log in \(settings.resultsFolder.path)")
                }
                usleep(100_000)
                gatewayPIDs = workermanWorkers(named: "BenchGateway")
            }
            usleep(1_500_000)  // the BusinessWorker learns the gateway from the Register and connects
            return ServerUnderTest(
                name: phpName, ports: [.websocket: client], gatewayPIDs: gatewayPIDs, cores: 1,
                innerAddresses: ["127.0.0.1:\(inner)"], connectionLimit: 1_000,
                workerPIDs: workermanWorkers(named: "BenchBusinessWorker"), processes: processes)
        } catch {
            processes.reversed().forEach { $0.stop() }
            throw error
        }
    }

    /// PIDs of workerman worker processes whose title names `worker` ("WorkerMan: worker process  NAME …").
    private static func workermanWorkers(named worker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                let title = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8),
                title.hasPrefix("WorkerMan: worker process"), title.contains(" \(worker) ")
            else { return nil }
            return pid
        }
    }

    /// The user's external gateway (nothing to start or stop).
    static func external(settings: RunSettings) throws -> ServerUnderTest? {
        guard let address = settings.options.externalGateway else { return nil }
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]), parts[0] == "127.0.0.1" else {
            throw BenchmarkFailure("--external-gateway must be 127.0.0.1:PORT (loopback only), got \(address)")
        }
        return ServerUnderTest(
            name: settings.options.externalName, ports: [.websocket: port], gatewayPIDs: settings.options.externalPid,
            cores: 1, innerAddresses: settings.options.externalInner, processes: [])
    }

    /// Waits until every client port accepts a TCP connection (10 s), or fails with the log's path.
    func waitUntilListening(settings: RunSettings) throws {
        let deadline = Date().addingTimeInterval(10)
        for port in ports.values {
            while !LoopbackPort.accepts(port) {
                guard Date() < deadline, processes.allSatisfy(\.isRunning) else {
                    stop()
                    throw BenchmarkFailure(
                        "\(name) did not listen on 127.0.0.1:\(port); see \(settings.resultsFolder.path)")
                }
                usleep(50_000)
            }
        }
    }
}
