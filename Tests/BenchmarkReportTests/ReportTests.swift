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

    /// The idle row gives CPU per connection over the connect phase and all the user memory the process
    /// holds (RssAnon plus huge pages) per connection; results written before these figures still decode.
    @Test func idleRowsCarryCPUPerConnectionAndAllInMemory() throws {
        var idle = IdleResult()
        idle.server = "RingGate"
        idle.requested = 1_000
        idle.established = 1_000
        idle.connectGatewayCPUSeconds = 0.03
        idle.connectGeneratorCPUSeconds = 0.05
        idle.memoryAfter.rssAnonKB = 50
        idle.memoryAfter.hugetlbKB = 2_048
        #expect(abs((idle.gatewayMicrosecondsPerConnection ?? 0) - 30) < 1e-9)
        #expect(abs((idle.generatorMicrosecondsPerConnection ?? 0) - 50) < 1e-9)
        #expect(abs(idle.allInBytesPerConnection - 2_148.352) < 1e-9)
        var results = BenchmarkResults()
        results.idle = [idle]
        let table = ReportFiles(results: results).table()
        #expect(table.contains("30.0 / 50.0") && table.contains("2148"))
        // Results written before the CPU figures existed have no such keys.
        let older = try JSONDecoder().decode(IdleResult.self, from: JSONEncoder().encode(IdleResult()))
        #expect(older.gatewayMicrosecondsPerConnection == nil)
    }

    /// Data segments per delivered message: to clients (and to workers, relayed echo) per echoed message, to
    /// clients per broadcast delivery; results without them still render.
    @Test func segmentsPerDeliveredMessageAreReported() throws {
        var echo = EchoResult()
        echo.server = "RingGate"
        echo.mode = "relayed-websocket"
        echo.messages = 1_000
        echo.seconds = 1
        echo.gatewayCPUSeconds = 1
        echo.clientDataSegments = 130
        echo.workerDataSegments = 200
        #expect(echo.clientSegmentsPerMessage == 0.13)
        #expect(echo.workerSegmentsPerMessage == 0.2)
        var broadcast = BroadcastResult()
        broadcast.server = "RingGate"
        broadcast.kind = "sendToAll"
        broadcast.deliveries = 4_000
        broadcast.clientDataSegments = 4_000
        #expect(broadcast.segmentsPerDelivery == 1)
        var older = EchoResult()
        older.server = "NIO"
        older.mode = "raw-tcp"
        #expect(older.clientSegmentsPerMessage == nil)
        var results = BenchmarkResults()
        results.echo = [echo, older]
        results.broadcast = [broadcast]
        let table = ReportFiles(results: results).table()
        #expect(table.contains(" 0.13 (0.20) "))
        #expect(table.contains(" 1.00 "))
    }

    /// A point measured in several passes pairs RingGate with the reference of the same pass, and the
    /// summary gives each pass's ratio and their median; PHP, measured once, pairs with every pass.
    @Test func repeatedBroadcastPassesArePairedPassByPass() throws {
        var results = BenchmarkResults()
        let passes: [(ringGate: Double, reference: Double)] = [(10, 8), (9, 9), (8, 10)]
        for (index, pass) in passes.enumerated() {
            for (server, cpu) in [("RingGate", pass.ringGate), ("C reference", pass.reference)] {
                var result = BroadcastResult()
                result.server = server
                result.kind = "sendToAll"
                result.clients = 100_000
                result.deliveries = 1_000_000
                result.gatewayCPUSeconds = cpu
                result.repetition = index + 1
                results.broadcast.append(result)
            }
        }
        var php = BroadcastResult()
        php.server = "PHP GatewayWorker"
        php.kind = "sendToAll"
        php.clients = 100_000
        php.deliveries = 1_000_000
        php.gatewayCPUSeconds = 20
        results.broadcast.append(php)
        let report = ReportFiles(results: results)
        #expect(try #require(report.referenceRatio(results.broadcast[0])) == 0.8)
        #expect(try #require(report.referenceRatio(results.broadcast[4])) == 1.25)
        #expect(try #require(report.phpRatio(results.broadcast[4])) == 2.5)
        let section = try #require(report.repeatedBroadcastSection())
        #expect(section.rows == [["sendToAll", "100000", "3", "9.000", "9.000", "0.80× 1.00× 1.25×", "1.00×"]])
    }

    /// Echo passes pair the same way: each RingGate pass with the reference's pass, PHP with every pass.
    @Test func repeatedEchoPassesArePairedPassByPass() throws {
        var results = BenchmarkResults()
        let passes: [(ringGate: Double, reference: Double)] = [(90, 100), (110, 100)]
        for (index, pass) in passes.enumerated() {
            for (server, messages) in [("RingGate", pass.ringGate), ("C reference", pass.reference)] {
                var result = EchoResult()
                result.server = server
                result.mode = "relayed-websocket"
                result.connections = 1_000
                result.messages = Int(messages)
                result.seconds = 1
                result.gatewayCPUSeconds = 1
                result.repetition = index + 1
                results.echo.append(result)
            }
        }
        var php = EchoResult()
        php.server = "PHP GatewayWorker"
        php.mode = "relayed-websocket"
        php.connections = 1_000
        php.messages = 40
        php.seconds = 1
        php.gatewayCPUSeconds = 1
        results.echo.append(php)
        let report = ReportFiles(results: results)
        #expect(try #require(report.referenceRatio(results.echo[0])) == 0.9)
        #expect(try #require(report.referenceRatio(results.echo[2])) == 1.1)
        #expect(try #require(report.phpRatio(results.echo[2])) == 2.75)
        let section = try #require(report.repeatedEchoSection())
        #expect(section.rows == [["relayed-websocket", "1000×1", "2", "100", "100", "0.90× 1.10×", "1.00×"]])
        #expect(report.table().contains("1000×1, pass 2"))
    }

    /// A broadcast row says whether the generators woke on each delivery or let them gather.
    @Test func broadcastRowsTellHowTheClientsWereWoken() throws {
        var batched = BroadcastResult()
        batched.server = "RingGate"
        batched.generatorBatchWaitMicroseconds = 100
        var older = BroadcastResult()
        older.server = "C reference"
        var results = BenchmarkResults()
        results.broadcast = [batched, older]
        let rows = ReportFiles(results: results).table().split(separator: "\n")
        #expect(rows.contains { $0.contains("RingGate") && $0.contains("batched, ≤ 100 µs") })
        #expect(rows.contains { $0.contains("C reference") && $0.contains("per delivery") })
    }

    /// The idle row says whether the first echo check ran inside the connect phase or as its own pass.
    @Test func idleRowsTellHowTheFirstEchoCheckRan() throws {
        var pass = IdleResult()
        pass.server = "RingGate"
        pass.startCheckSeconds = 18.9
        var older = IdleResult()
        older.server = "RingGate"
        var results = BenchmarkResults()
        results.idle = [pass, older]
        let table = ReportFiles(results: results).table()
        #expect(table.contains(" 18.9 s "))
        #expect(table.contains(" while connecting "))
    }

    @Test func ringGateIsGivenAsAFractionOfTheCReferenceAtTheSamePoint() throws {
        var results = BenchmarkResults()
        for (server, messages, deliveryCPU) in [("RingGate", 90_000, 0.5), (ReportFiles.referenceServer, 100_000, 0.4)]
        {
            var echo = EchoResult()
            echo.server = server
            echo.mode = "relayed-websocket"
            echo.connections = 100
            echo.inFlight = 8
            echo.messages = messages
            echo.seconds = 1
            echo.gatewayCPUSeconds = 1
            results.echo.append(echo)
            var broadcast = BroadcastResult()
            broadcast.server = server
            broadcast.kind = "sendToAll"
            broadcast.clients = 1_000
            broadcast.recipients = 1_000
            broadcast.deliveries = 10_000
            broadcast.gatewayCPUSeconds = deliveryCPU
            results.broadcast.append(broadcast)
        }
        // Another point or another kind is not compared.
        var other = results.echo[0]
        other.inFlight = 1
        results.echo.append(other)
        let report = ReportFiles(results: results)
        #expect(report.referenceRatio(results.echo[0]) == 0.9)
        #expect(report.referenceRatio(results.echo[1]) == nil)
        #expect(report.referenceRatio(other) == nil)
        #expect(try #require(report.referenceRatio(results.broadcast[0])) == 0.8)
        #expect(report.table().contains("0.90×") && report.table().contains("0.80×"))
    }

    @Test func phpIsComparedAtTheSamePointAndKind() throws {
        var results = BenchmarkResults()
        for (server, messages, deliveryCPU) in [("RingGate", 250_000, 0.1), (ReportFiles.phpServer, 100_000, 0.2)] {
            var echo = EchoResult()
            echo.server = server
            echo.mode = "relayed-websocket"
            echo.connections = 100
            echo.inFlight = 8
            echo.messages = messages
            echo.seconds = 1
            echo.gatewayCPUSeconds = 1
            results.echo.append(echo)
            for kind in ["sendToAll", "sendToGroup"] {
                var broadcast = BroadcastResult()
                broadcast.server = server
                broadcast.kind = kind
                broadcast.clients = 1_000
                broadcast.deliveries = 10_000
                broadcast.gatewayCPUSeconds = kind == "sendToAll" ? deliveryCPU : deliveryCPU * 2
                results.broadcast.append(broadcast)
            }
        }
        var ringgateIdle = IdleResult()
        ringgateIdle.server = "RingGate"
        ringgateIdle.established = 100_000
        ringgateIdle.memoryAfter.rssAnonKB = 6_250  // 64 B per connection
        var phpIdle = IdleResult()
        phpIdle.server = ReportFiles.phpServer
        phpIdle.established = 1_000
        phpIdle.memoryAfter.rssAnonKB = 4_000  // 4,096 B per connection
        results.idle = [ringgateIdle, phpIdle]
        let report = ReportFiles(results: results)
        #expect(report.phpRatio(results.echo[0]) == 2.5)
        #expect(report.phpRatio(results.echo[1]) == nil)
        #expect(report.phpRatio(results.broadcast[0]) == 2)
        #expect(report.phpRatio(results.broadcast[1]) == 2)
        var otherCount = results.broadcast[0]
        otherCount.clients = 10_000
        #expect(report.phpRatio(otherCount) == nil)
        #expect(report.phpRatio(ringgateIdle) == 64)
        #expect(report.table().contains("2.50×") && report.table().contains("64.0×"))
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
