import Foundation
import Testing

@testable import BenchmarkReport

@Suite(.timeLimit(.minutes(1)))
struct TakeoverReportTests {
    /// What `ringgate upgrade` prints after a successful handover (UpgradeCoordinator's notes).
    static let succeeded = """
        started /tmp/run/ringgate as pid 4242
        listening sockets handed over
        shard 0: 16667 clients handed over, paused 212 ms
        shard 1: 16601 clients handed over, paused 198 ms
        shard 5: 16702 clients handed over, paused 1412 ms
        done: 49970 clients in 1.93 s, longest pause 1412 ms; pid 4242 serves now, this process exits

        """

    @Test func theDoneLineAndEveryShardLineAreRead() throws {
        let report = try #require(UpgradeReport(parsing: Self.succeeded))
        #expect(report.clients == 49970)
        #expect(report.seconds == 1.93)
        #expect(report.longestPauseMilliseconds == 1412)
        #expect(report.newPID == 4242)
        #expect(
            report.shards == [
                .init(index: 0, clients: 16667, pauseMilliseconds: 212),
                .init(index: 1, clients: 16601, pauseMilliseconds: 198),
                .init(index: 5, clients: 16702, pauseMilliseconds: 1412),
            ])
    }

    @Test func logPrefixesBeforeTheLinesAreIgnored() throws {
        let logged = Self.succeeded.split(separator: "\n").map { "2026-12-04T10:00:00Z info ringgate : \($0)" }
            .joined(separator: "\n")
        let report = try #require(UpgradeReport(parsing: logged))
        #expect(report.clients == 49970 && report.newPID == 4242 && report.shards.count == 3)
    }

    @Test func aRefusedOrAbandonedUpgradeHasNoReport() {
        #expect(UpgradeReport(parsing: "refused: this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8)\n") == nil)
        let abandoned = """
            started /tmp/run/ringgate as pid 4243
            shard 0: the new process closed the channel
            upgrade abandoned; every client is still served by this process (pid 4200)
            """
        #expect(UpgradeReport(parsing: abandoned) == nil)
        // A cut-off done line is not a report either.
        #expect(UpgradeReport(parsing: "done: 12 clients in 0.10 s, longest pause") == nil)
    }

    @Test func theTakeoverSectionShowsTheGoalsAndTheUpgradesFigures() throws {
        var run = TakeoverResult()
        run.clients = 50_000
        run.chatters = 1_000
        run.shards = 3
        run.upgradeExitStatus = 0
        run.upgrade = UpgradeReport(parsing: Self.succeeded)
        run.idleClosed = 2
        run.chatLost = 0
        run.longestEchoMilliseconds = 1530
        run.memoryBefore.rssAnonKB = 20_480
        run.memoryAfter.rssAnonKB = 18_432
        var results = BenchmarkResults()
        results.takeover = run
        let markdown = ReportFiles(results: results).markdown()
        #expect(markdown.contains("## Live takeover"))
        #expect(markdown.contains("| clients dropped (goal 0) | 2 ✘ |"))
        #expect(markdown.contains("| chat messages lost (goal 0) | 0 ✔ |"))
        #expect(markdown.contains("49970, 1.93 s, 1412 ms"))
        #expect(markdown.contains("RssAnon 20 MiB") && markdown.contains("RssAnon 18 MiB"))
        // Results written before the scenario existed still decode.
        let old = try JSONEncoder().encode(BenchmarkResults())
        let object = try JSONSerialization.jsonObject(with: old) as! [String: Any]
        let withoutTakeover = try JSONSerialization.data(withJSONObject: object.filter { $0.key != "takeover" })
        #expect(try JSONDecoder().decode(BenchmarkResults.self, from: withoutTakeover).takeover == nil)
    }
}
