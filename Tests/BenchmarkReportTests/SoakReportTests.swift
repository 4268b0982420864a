import Foundation
import Testing

@testable import BenchmarkReport

@Suite(.timeLimit(.minutes(1)))
struct SoakReportTests {
    @Test func growthIsMeasuredFromTheFirstSampleAfterTheWarmUp() {
        let points: [(Double, Double)] = [(0, 10), (100, 50), (300, 100), (600, 110), (900, 105)]
        #expect(SoakFigures.growthPercent(points, from: 300) == 5)
        // The warm-up climb (10 → 100) does not count.
        #expect(SoakFigures.growthPercent(points, from: 250) == 5)
        #expect(SoakFigures.growthPercent(points, from: 901) == nil)
        #expect(SoakFigures.growthPercent([(0, 0), (10, 5)], from: 0) == nil)
    }

    @Test func warmUpEndsAtMinuteFiveOrAThirdOfAShortRun() {
        #expect(SoakFigures.warmupEnd(runSeconds: 1800) == 300)
        #expect(SoakFigures.warmupEnd(runSeconds: 120) == 40)
    }

    @Test func lostMessagesAreClassifiedByKillAndStallWindows() {
        let events: [SoakEvent] = [
            .init(seconds: 30, kind: .workerKilled, detail: "0"),
            .init(seconds: 31, kind: .workerRestarted, detail: "0"),
            .init(seconds: 48, kind: .workerStalled, detail: "1"),
            .init(seconds: 78, kind: .workerResumed, detail: "1"),
            .init(seconds: 90, kind: .workerKilled, detail: "1"),
        ]
        let kills = SoakFigures.killWindows(events, lead: 2, end: 120)
        #expect(kills == [28...31, 88...120])
        let stalls = SoakFigures.stallWindows(events, end: 120)
        #expect(stalls == [48...78])
        let classify = { (sent: Double) in SoakFigures.classify(sent: sent, killWindows: kills, stallWindows: stalls) }
        #expect(classify(29) == .killWindow)
        #expect(classify(27.9) == .workersAlive)
        #expect(classify(50) == .stallWindow)
        #expect(classify(80) == .workersAlive)
        #expect(classify(100) == .killWindow)
    }

    @Test func sequencesCountDuplicatesAndLateArrivals() {
        var sequence = ChatSequence()
        #expect(sequence.receive(1) == .inOrder)
        #expect(sequence.receive(3) == .inOrder)
        #expect(sequence.receive(2) == .late)
        #expect(sequence.receive(2) == .duplicate)
        #expect(sequence.receive(3) == .duplicate)
        #expect(sequence.outOfOrder == 1)
        #expect(sequence.duplicates == 2)
    }

    @Test func reportShowsTheSoakFiguresAndCharts() throws {
        var soak = SoakResult()
        soak.minutes = 2
        soak.clients = 5000
        soak.warmupSeconds = 40
        soak.samples = [
            SoakSample(seconds: 0, gatewayRSSKB: 1000, connections: 5000),
            SoakSample(seconds: 40, gatewayRSSKB: 2000, connections: 5000),
            SoakSample(seconds: 120, gatewayRSSKB: 2200, connections: 5000),
        ]
        soak.loss.inKillWindow = 3
        soak.unintendedDrops = 1
        var minute = SoakMinute()
        minute.p99Milliseconds = 4.5
        minute.p50Milliseconds = 1
        soak.minuteFigures = [minute]
        var results = BenchmarkResults()
        results.soak = soak
        let report = ReportFiles(results: results)
        let markdown = report.markdown()
        #expect(markdown.contains("+10.0%"))
        #expect(markdown.contains("| chat messages lost in a worker-kill window (allowed) | 3 |"))
        #expect(markdown.contains("| clients dropped other than on purpose (goal 0) | 1 ✘ |"))
        #expect(markdown.contains("| 1 | 0 | 0 | 1.0 | 4.5 | 0.0 |"))
        let charts = report.charts().map(\.name)
        #expect(charts == ["soak-memory.svg", "soak-connections.svg", "soak-latency.svg"])
        let memory = try #require(report.charts().first { $0.name == "soak-memory.svg" }?.svg)
        #expect(memory.contains("<polyline") && memory.contains("RSS"))
        // Results written before the soak existed still decode.
        let old = try JSONDecoder().decode(
            BenchmarkResults.self,
            from: Data(
                #"{"commit":"","date":"","machine":{"cpus":1,"kernel":"","memoryKB":0,"cpuModel":""},"configuration":{},"idle":[],"echo":[],"broadcast":[],"churn":[],"notes":[]}"#
                    .utf8))
        #expect(old.soak == nil)
    }
}
