import Foundation
import Testing

@testable import BenchmarkReport

@Suite(.timeLimit(.minutes(1)))
struct ReportTests {
    static func sample() -> BenchmarkResults {
        var results = BenchmarkResults()
        for (server, rate) in [("RingGate", 300_000.0), ("NIO", 150_000.0)] {
            for connections in [100, 1000] {
                var echo = EchoResult()
                echo.server = server
                echo.mode = "raw-tcp"
                echo.connections = connections
                echo.messages = Int(rate)
                echo.seconds = 1
                echo.gatewayCPUSeconds = 1
                results.echo.append(echo)
            }
        }
        return results
    }

    @Test func echoRowsCarryTheRatioToNIOAtTheSamePoint() throws {
        let report = ReportFiles(results: Self.sample())
        let ringgate = try #require(report.results.echo.first { $0.server == "RingGate" })
        #expect(report.nioRatio(ringgate) == 2)
        #expect(report.table().contains("2.00×"))
    }

    @Test func chartsAreSVGWithOnePolylinePerSeries() throws {
        let charts = ReportFiles(results: Self.sample()).charts()
        let throughput = try #require(charts.first { $0.name == "echo-throughput.svg" }?.svg)
        #expect(throughput.hasPrefix("<svg"))
        #expect(throughput.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(throughput.contains("RingGate raw-tcp"))
        #expect(throughput.hasSuffix("</svg>\n"))
    }

    @Test func resultsSurviveAJSONRoundTrip() throws {
        let data = try JSONEncoder().encode(Self.sample())
        let decoded = try JSONDecoder().decode(BenchmarkResults.self, from: data)
        #expect(decoded.echo.count == 4)
        #expect(ReportFiles(results: decoded).markdown().contains("| raw-tcp | RingGate | 100×1 |"))
    }

    @Test func logScaleTicksArePowersOfTen() {
        let scale = Scale(values: [3, 450], log: true, length: 100)
        #expect(scale.ticks == [1, 10, 100, 1000])
        #expect(scale.position(1000) == 100)
    }
}
