import RingGateRuntime
import Testing

@testable import RingGate
@testable import RingGateService

@Suite struct PrometheusTextTests {
    @Test func familiesSamplesAndEscaping() {
        var text = PrometheusText()
        text.family("rg_total", .counter, help: "Things\\done\nhere.")
        text.sample("rg_total", [("shard", "0"), ("reason", "a\"b\\c\nd")], 3)
        text.sample("rg_total", 1.5)
        #expect(
            text.text == """
                # HELP rg_total Things\\\\done\\nhere.
                # TYPE rg_total counter
                rg_total{shard="0",reason="a\\"b\\\\c\\nd"} 3
                rg_total 1.5

                """)
    }

    @Test func histogramBucketsAreCumulative() {
        var text = PrometheusText()
        text.family("rg_seconds", .histogram, help: "h")
        text.histogram("rg_seconds", [("shard", "1")], upperBounds: [0.001, 0.01], counts: [2, 0, 3], sum: 0.25)
        #expect(
            text.text == """
                # HELP rg_seconds h
                # TYPE rg_seconds histogram
                rg_seconds_bucket{shard="1",le="0.001"} 2
                rg_seconds_bucket{shard="1",le="0.01"} 2
                rg_seconds_bucket{shard="1",le="+Inf"} 5
                rg_seconds_sum{shard="1"} 0.25
                rg_seconds_count{shard="1"} 5

                """)
    }

    @Test func turnLatencyBuckets() {
        var histogram = TurnLatencyHistogram()
        for nanoseconds: UInt64 in [0, 1_000, 1_001, 4_000, 4_001, 262_144_000, 262_144_001, 10_000_000_000] {
            histogram.record(nanoseconds: nanoseconds)
        }
        #expect(histogram.counts == [2, 2, 1, 0, 0, 0, 0, 0, 0, 1, 2])
        #expect(histogram.turns == 8)
        #expect(TurnLatencyHistogram.upperBoundsNanoseconds.first == 1_000)
        #expect(TurnLatencyHistogram.upperBoundsNanoseconds.last == 262_144_000)
    }

    /// The whole page from a real gateway: every family is announced once, before its samples, and
    /// every sample line is `name{labels} value`.
    @Test func gatewayPageIsWellFormed() throws {
        var report = ShardReport.empty(index: 0)
        report.counters.closes[.peerClosed] = 2
        var upstream = UpstreamCounters()
        upstream.queryRepliesTooLarge = 3
        upstream.multicastRepeatsCollapsed = 4
        report.counters.upstream = upstream
        let page = GatewayMetrics.render(
            reports: [report], register: RegisterServer.Snapshot(),
            memory: StatusDocument.ProcessMemory(rssBytes: 1, rssAnonBytes: 2, hugetlbBytes: 3), uptimeSeconds: 1,
            shuttingDown: false)
        var announced: Set<String> = []
        var current = ""
        for line in page.split(separator: "\n") {
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                current = String(line.split(separator: " ")[2])
                #expect(announced.insert(current).inserted, "\(current) announced twice")
                continue
            }
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            #expect(name == current || name.hasPrefix(current + "_"), "sample \(name) outside its family \(current)")
            #expect(Double(line.split(separator: " ").last!) != nil || line.hasSuffix("+Inf"))
        }
        #expect(page.contains("ringgate_closes_total{shard=\"0\",reason=\"peer_closed\"} 2\n"))
        #expect(page.contains("ringgate_loop_turn_seconds_bucket{shard=\"0\",le=\"+Inf\"} 0\n"))
        #expect(page.contains("ringgate_register_service_gateways 0\n"))
        #expect(page.contains("ringgate_inner_closes_total{shard=\"0\",reason=\"reply_too_large\"} 3\n"))
        #expect(page.contains("ringgate_multicast_repeats_collapsed_total{shard=\"0\"} 4\n"))
    }

    /// The Register's limit counters reach /metrics.
    @Test func registerLimitCountersAreExported() {
        var register = RegisterServer.Snapshot()
        register.connectionsEvicted = 3
        register.registry.oversizedAddresses = 2
        register.registry.addressChangeLimitCloses = 4
        register.registry.broadcastsSent = 9
        let page = GatewayMetrics.render(
            reports: [], register: register,
            memory: StatusDocument.ProcessMemory(rssBytes: 1, rssAnonBytes: 2, hugetlbBytes: 3), uptimeSeconds: 1,
            shuttingDown: false)
        #expect(page.contains("ringgate_register_service_closed_total{reason=\"evicted_unauthenticated\"} 3\n"))
        #expect(page.contains("ringgate_register_service_bad_input_total{kind=\"address_too_long\"} 2\n"))
        #expect(page.contains("ringgate_register_service_bad_input_total{kind=\"too_many_address_changes\"} 4\n"))
        #expect(page.contains("ringgate_register_service_broadcasts_total 9\n"))
    }
}

extension ShardReport {
    static func empty(index: Int) -> ShardReport {
        ShardReport(
            index: index, counters: ShardCounters(), liveChunks: 0, slabBytesInUse: 0, heapBytesInUse: 0,
            receiveBuffersLent: 0, queuedSendNodes: 0, slabBacking: "normal pages", hugePages: false, loopTurns: 0,
            turnLatency: TurnLatencyHistogram(), completionOverflowTurns: 0, droppedCompletions: 0, slabBytes: 1 << 20,
            shuttingDown: false)
    }
}
