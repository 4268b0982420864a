import Foundation
import Glibc
import Testing

/// Issue 16's names: `--slab-mib` (and `--gateway-cpus`, `--generator-cpus` in Benchmarks) are what help
/// shows; the old spellings still work for one release but are hidden.
@Suite(.serialized) struct FlagNamesProcessTests {
    @Test(.timeLimit(.minutes(1))) func slabMiBAndItsHiddenAlias() throws {
        let help = try RingGateProcess(["echo", "--help"])
        #expect(help.exitStatus(within: 20) == 0)
        #expect(help.output.contains("--slab-mib <slab-mib>"))
        #expect(!help.output.contains("slab-mi-b"))
        for spelling in ["--slab-mib", "--slab-mi-b"] {
            let echo = try RingGateProcess([
                "echo", "text://127.0.0.1:0", "--shards", "1", "--no-huge-pages", "--connections-per-shard", "256",
                spelling, "4",
            ])
            #expect(echo.waitForOutput("echo gateway running", seconds: 30), "\(spelling): \(echo.output)")
            #expect(echo.output.contains("slab_mib=4"), "\(spelling): \(echo.output)")
            echo.signal(SIGTERM)
            #expect(echo.exitStatus(within: 20) == 0)
        }
        let misspelt = try RingGateProcess(["echo", "text://127.0.0.1:0", "--slab-mi", "4"])
        #expect(misspelt.exitStatus(within: 20) == 64)  // EX_USAGE: an unknown option is refused
    }

    @Test func benchmarkCPUFlags() throws {
        let benchmarks = try ringgateBinary().deletingLastPathComponent().appendingPathComponent("Benchmarks")
        try #require(FileManager.default.isExecutableFile(atPath: benchmarks.path), "no Benchmarks beside ringgate")
        let process = Process()
        process.executableURL = benchmarks
        process.arguments = ["echo", "--help"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let help = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(help.contains("--gateway-cpus <gateway-cpus>") && help.contains("--generator-cpus <generator-cpus>"))
        #expect(!help.contains("cp-us"))
    }
}
