import Foundation
import Glibc
import TestSupport
import Testing

/// What the cluster test bed needs from the machine, and where its pieces are.
enum ClusterTestBed {
    /// Why the bed cannot run here (nil: it can): it needs root, `ip netns`, and python3.
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "needs root (network namespaces)" }
        guard Subprocess.findExecutable("ip") != nil else { return "needs iproute2 (ip)" }
        guard Subprocess.findExecutable("python3") != nil else { return "needs python3" }
        let probe = "rgcprobe\(getpid())"
        guard system("ip netns add \(probe) >/dev/null 2>&1 && ip netns del \(probe)") == 0 else {
            return "cannot create network namespaces (ip netns add failed)"
        }
        return nil
    }()

    /// scripts/cluster/run.sh of this package (three levels above this file).
    static let script: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return (parts + ["scripts", "cluster", "run.sh"]).joined(separator: "/")
    }()

    /// The ringgate binary built next to this test bundle.
    static func binary() throws -> String {
        let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let binary = directory.appendingPathComponent("ringgate").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no ringgate binary at \(binary)")
        return binary
    }

    static let scenarios = [
        "client_ids", "broadcasts_and_queries", "worker_identity", "worker_restart", "register_restart", "link_cut",
        "netem", "gateway_kill",
    ]

    /// Runs the bed and checks that every scenario reported PASS (or SKIP: netem on a kernel without it).
    static func runAll(_ extraArguments: [String]) async throws {
        let outcome = try await Subprocess.run(
            ["bash", script, "--ringgate", try binary(), "--timeout", "150"] + extraArguments, timeLimitSeconds: 170)
        #expect(outcome.exitStatus == 0, "\(outcome.output)")
        let lines = outcome.output.split(separator: "\n").filter { $0.hasPrefix("SCENARIO ") }
        for scenario in scenarios {
            let line = lines.first { $0.hasPrefix("SCENARIO \(scenario) ") }
            #expect(
                line.map { $0.hasPrefix("SCENARIO \(scenario) PASS") || $0.hasPrefix("SCENARIO \(scenario) SKIP") }
                    == true, "\(scenario): \(line.map(String.init) ?? "missing")\n\(outcome.output)")
        }
    }
}

/// A four-host cluster in network namespaces (scripts/cluster/run.sh): two RingGate gateways (A, B), a
/// Register and Swift workers (C), clients and a GatewayClient (D); client_ids and routing across hosts,
/// broadcasts and queries over both gateways, a worker and the Register restarted, C's link cut for
/// 5 s, netem on A's link, gateway A killed -9, and two hosts' same-named workers. Runs as root only.
@Suite(
    .serialized, .timeLimit(.minutes(3)),
    .enabled(if: ClusterTestBed.unavailableReason == nil, "\(ClusterTestBed.unavailableReason ?? "")")
)
struct ClusterTestBedTests {
    @Test func everyScenarioPasses() async throws {
        try await ClusterTestBed.runAll([])
    }

    /// The gateways learn worker peers from address-reporting accepts, as on kernels before 6.7.
    @Test func everyScenarioPassesWithThePeerNameFallback() async throws {
        try await ClusterTestBed.runAll(["--fallback"])
    }
}
