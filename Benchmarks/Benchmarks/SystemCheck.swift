import Foundation
import Glibc

/// Limits and sysctls checked before a run: each problem is printed with the change that fixes it,
/// instead of surfacing later as an obscure connect error.
enum SystemCheck {
    static func run(settings: RunSettings) {
        var problems: [String] = []
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 4096 {
            problems.append("RLIMIT_NOFILE is \(limit.rlim_cur): `ulimit -n 20000` (or more) before running")
        }
        if let range = read("/proc/sys/net/ipv4/ip_local_port_range") {
            let bounds = range.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }
            if bounds.count == 2, bounds[1] - bounds[0] < settings.connectionsPerSource {
                problems.append(
                    "ip_local_port_range \(bounds[0])-\(bounds[1]) has fewer ports than --connections-per-source "
                        + "\(settings.connectionsPerSource): `sysctl -w net.ipv4.ip_local_port_range='1024 65000'`")
            }
        }
        if let somaxconn = read("/proc/sys/net/core/somaxconn").flatMap({ Int($0) }), somaxconn < 1024 {
            problems.append("net.core.somaxconn is \(somaxconn): `sysctl -w net.core.somaxconn=4096` (connect bursts)")
        }
        if let backlog = read("/proc/sys/net/ipv4/tcp_max_syn_backlog").flatMap({ Int($0) }), backlog < 1024 {
            problems.append("net.ipv4.tcp_max_syn_backlog is \(backlog): `sysctl -w net.ipv4.tcp_max_syn_backlog=4096`")
        }
        if let huge = read("/proc/sys/vm/nr_hugepages").flatMap({ Int($0) }), huge == 0 {
            settings.results.notes.append(
                "no huge pages reserved (vm.nr_hugepages = 0): the gateway's slabs use normal pages and count in "
                    + "RssAnon as they are touched (receive buffers from startup, chunks once used); "
                    + "`sysctl -w vm.nr_hugepages=64` to measure with huge pages")
        }
        if settings.selfPath.contains("/debug/") {
            problems.append(
                "this is a debug build: the load generator is several times slower; use `swift run -c release Benchmarks`"
            )
        }
        if CPUAffinity.onlineCount < 2 {
            problems.append("one CPU only: gateway and generators share it, figures measure both")
        }
        if settings.nioPath == nil {
            settings.results.notes.append(
                settings.options.noNIO
                    ? "SwiftNIO baseline skipped (--no-nio)"
                    : "SwiftNIO baseline skipped: no NIOBaseline binary next to this one "
                        + "(`swift build -c release --product NIOBaseline`)")
        }
        for problem in problems {
            settings.progress.note("check: " + problem)
            settings.results.notes.append("check: " + problem)
        }
        settings.progress.note(
            "gateway on CPU \(settings.gatewayCPUs), generators on CPU \(settings.generatorCPUs); "
                + "results in \(settings.resultsFolder.path)")
    }

    private static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension RunOptions {
    /// The options as name → value for the report's configuration table.
    func describe() -> [String: String] {
        var values: [String: String] = [
            "gateway-cpus": gatewayCPUs, "duration": "\(duration)", "warmup": "\(warmup)",
            "connections-per-generator": "\(connectionsPerGenerator)",
            "connections-per-source": "\(connectionsPerSource)", "connect-window": "\(connectWindow)",
            "connect-window-total": "\(connectWindowTotal)",
            "arguments": CommandLine.arguments.dropFirst().joined(separator: " "),
        ]
        if let generatorCPUs { values["generator-cpus"] = generatorCPUs }
        if let externalGateway { values["external-gateway"] = externalGateway }
        if !reference.isEmpty { values["reference"] = reference.joined(separator: "; ") }
        return values
    }
}
