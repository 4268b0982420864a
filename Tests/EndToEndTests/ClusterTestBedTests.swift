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
        "no_worker", "netem", "gateway_kill",
    ]

    /// The PHP lab (scripts/php-compat/setup.sh) for the mixed variants: `RINGGATE_PHPLAB_DIR`, and php.
    static let phpLab: String? = {
        guard let value = getenv("RINGGATE_PHPLAB_DIR"), Subprocess.findExecutable("php") != nil else { return nil }
        let path = String(cString: value)
        return FileManager.default.fileExists(atPath: path + "/autoload.php") ? path : nil
    }()

    /// Runs the bed, checks that every scenario reported PASS (SKIP is allowed for netem on a kernel
    /// without it, and for the identity check where no RingGate gateway runs), and returns the
    /// normalised GatewayClient results (`RESULT` lines).
    @discardableResult
    static func runAll(_ extraArguments: [String]) async throws -> [String] {
        let outcome = try await Subprocess.run(
            ["bash", script, "--ringgate", try binary(), "--timeout", "150"] + extraArguments, timeLimitSeconds: 170)
        #expect(outcome.exitStatus == 0, "\(outcome.output)")
        let lines = outcome.output.split(separator: "\n").map(String.init)
        for scenario in scenarios {
            let line = lines.first { $0.hasPrefix("SCENARIO \(scenario) ") }
            #expect(
                line.map { $0.hasPrefix("SCENARIO \(scenario) PASS") || $0.hasPrefix("SCENARIO \(scenario) SKIP") }
                    == true, "\(scenario): \(line ?? "missing")\n\(outcome.output)")
        }
        return lines.filter { $0.hasPrefix("RESULT ") }
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

/// RingGate on A next to PHP's Gateway on B, with PHP BusinessWorkers, against an all-PHP cluster: every
/// scenario passes in both, and the GatewayClient results aggregated over both gateways are identical.
/// Needs root, php and a PHP lab (`RINGGATE_PHPLAB_DIR`, laid out by scripts/php-compat/setup.sh).
@Suite(
    .serialized, .timeLimit(.minutes(3)),
    .enabled(if: ClusterTestBed.unavailableReason == nil, "\(ClusterTestBed.unavailableReason ?? "")"),
    .enabled(
        if: ClusterTestBed.phpLab != nil,
        "needs php and RINGGATE_PHPLAB_DIR naming a lab from scripts/php-compat/setup.sh (no PHP checkout in CI)")
)
struct MixedClusterTests {
    @Test func mixedClusterMatchesAllPHPCluster() async throws {
        let lab = try #require(ClusterTestBed.phpLab)
        let reference = try await ClusterTestBed.runAll(["--variant", "php", "--php-lab", lab])
        let mixed = try await ClusterTestBed.runAll(["--variant", "mixed", "--php-lab", lab])
        #expect(!reference.isEmpty)
        #expect(mixed == reference)
    }
}
