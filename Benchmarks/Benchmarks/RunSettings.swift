import ArgumentParser
import BenchmarkReport
import Foundation
import Glibc

/// Options every scenario shares: where the binaries are, CPU placement, baselines, output.
struct RunOptions: ParsableArguments {
    @Option(help: "The ringgate binary (default: next to this executable; build it with `swift build -c release`).")
    var ringgate: String?

    @Option(help: "The NIOBaseline binary (default: next to this executable; skipped with a note when absent).")
    var nioBaseline: String?

    @Flag(help: "Skip the SwiftNIO baseline.")
    var noNIO = false

    @Option(name: .customLong("gateway-cpus"), help: "CPUs for the gateway under test (comma list). Default: 0.")
    var gatewayCPUsOption: String?

    @Option(
        name: .customLong("generator-cpus"), help: "CPUs for the load generators (comma list). Default: the last CPU.")
    var generatorCPUsOption: String?

    /// The old spellings (argument-parser's split of `gatewayCPUs`), accepted for one release.
    @Option(name: .customLong("gateway-cp-us"), help: .private)
    var legacyGatewayCPUs: String?
    @Option(name: .customLong("generator-cp-us"), help: .private)
    var legacyGeneratorCPUs: String?

    var gatewayCPUs: String { gatewayCPUsOption ?? legacyGatewayCPUs ?? "0" }
    var generatorCPUs: String? { generatorCPUsOption ?? legacyGeneratorCPUs }

    @Option(help: "First TCP port to use on 127.0.0.1 (each server started takes the next free ones).")
    var basePort: UInt16 = 19500

    @Option(help: "Measured seconds per echo point.")
    var duration: Double = 5

    @Option(help: "Warm-up seconds before each echo measurement.")
    var warmup: Double = 1

    @Option(help: "Connections per generator process (one ring; its table is capped by RLIMIT_NOFILE).")
    var connectionsPerGenerator: Int = 17_000

    @Option(help: "Connections per (source address, server port); sources are 127.0.0.2 upwards.")
    var connectionsPerSource: Int = 8_000

    @Option(help: "Connects and WebSocket handshakes in flight per generator process.")
    var connectWindow: Int = 512

    @Option(
        help: ArgumentHelp(
            "Connects and WebSocket handshakes in flight across all generator processes.",
            discussion:
                "Each process gets the smaller of --connect-window and its share of this. 59 processes of 512 (1M "
                + "connections) kept 30,000 handshakes waiting on a gateway that shared its core, and some waited "
                + "past its 10 s handshake deadline."))
    var connectWindowTotal: Int = 8_192

    @Option(help: "Results folder (default: Benchmarks/results/<timestamp>).")
    var results: String?

    @Option(
        help: ArgumentHelp(
            "An external gateway to measure as well (e.g. PHP GatewayWorker): its client address host:port.",
            discussion: "Give --external-pid for its CPU and memory and --external-inner for broadcasts."))
    var externalGateway: String?

    @Option(help: "PIDs of the external gateway's processes (repeatable).")
    var externalPid: [Int32] = []

    @Option(help: "Inner (worker) addresses of the external gateway, for GatewayClient broadcasts (repeatable).")
    var externalInner: [String] = []

    @Option(help: "Name of the external gateway in the report.")
    var externalName = "external"

    @Option(
        help: ArgumentHelp(
            "A reference raw-TCP echo server, NAME=COMMAND with {PORT} (repeatable), for the raw echo scenario.",
            discussion: "e.g. --reference 'c-uring=/tmp/lg/uring_direct_echo -p {PORT}'"))
    var reference: [String] = []

    @Flag(help: "Skip the C io_uring reference programs (Benchmarks/Reference, built with cc on first use).")
    var noReference = false

    @Option(
        help: ArgumentHelp(
            "Run the real PHP GatewayWorker stack in the same run, from this lab (scripts/php-compat/setup.sh).",
            discussion:
                "Needs Debian's php-cli (pcntl, posix). The idle, relayed-echo and broadcast scenarios then also "
                + "measure PHP (up to the ~1,000 connections its select() loop holds) and report RingGate/PHP."))
    var phpGatewayworker: String?
}

/// Resolved settings for one run.
final class RunSettings {
    let options: RunOptions
    let selfPath: String
    let ringgatePath: String
    let nioPath: String?
    let gatewayCPUs: [Int]
    let generatorCPUs: [Int]
    let resultsFolder: URL
    let progress = ProgressLine()
    var results = BenchmarkResults()
    private var nextPort: UInt16

    var connectionsPerGenerator: Int { options.connectionsPerGenerator }
    var connectionsPerSource: Int { options.connectionsPerSource }
    var connectWindow: Int { options.connectWindow }
    var connectWindowTotal: Int { options.connectWindowTotal }

    init(options: RunOptions) throws {
        self.options = options
        selfPath =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let folder = URL(fileURLWithPath: selfPath).deletingLastPathComponent()
        ringgatePath = options.ringgate ?? folder.appendingPathComponent("ringgate").path
        guard FileManager.default.isExecutableFile(atPath: ringgatePath) else {
            throw BenchmarkFailure(
                "no ringgate binary at \(ringgatePath): run `swift build -c release --product ringgate` first "
                    + "(or pass --ringgate PATH)")
        }
        let nio = options.nioBaseline ?? folder.appendingPathComponent("NIOBaseline").path
        nioPath = !options.noNIO && FileManager.default.isExecutableFile(atPath: nio) ? nio : nil
        let cpus = CPUAffinity.onlineCount
        gatewayCPUs = Self.cpuList(options.gatewayCPUs, cpus: cpus) ?? [0]
        generatorCPUs = options.generatorCPUs.flatMap { Self.cpuList($0, cpus: cpus) } ?? [cpus - 1]
        let stamp = Self.timestamp()
        resultsFolder = URL(fileURLWithPath: options.results ?? "Benchmarks/results/\(stamp)")
        try FileManager.default.createDirectory(at: resultsFolder, withIntermediateDirectories: true)
        nextPort = options.basePort
    }

    /// A free TCP port on 127.0.0.1 at or after the last one handed out.
    func port() -> UInt16 {
        while true {
            let candidate = nextPort
            nextPort &+= 1
            if LoopbackPort.isFree(candidate) { return candidate }
        }
    }

    /// The first of `count` consecutive free ports (shard i of a gateway listens for workers on first + i);
    /// every port of the run is handed out.
    func portRun(_ count: Int) -> UInt16 {
        var first = port()
        while !(1..<UInt16(max(count, 1))).allSatisfy({ LoopbackPort.isFree(first + $0) }) { first = port() }
        for _ in 1..<max(count, 1) { _ = port() }
        return first
    }

    func logPath(_ name: String) -> String { resultsFolder.appendingPathComponent("\(name).log").path }

    static func cpuList(_ text: String, cpus: Int) -> [Int]? {
        let list = text.split(separator: ",").compactMap { Int($0) }.filter { $0 >= 0 && $0 < cpus }
        return list.isEmpty ? nil : list
    }

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
