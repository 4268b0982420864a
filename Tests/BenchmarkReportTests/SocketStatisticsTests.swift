import Testing

@testable import BenchmarkReport

@Suite(.timeLimit(.minutes(1)))
struct SocketStatisticsTests {
    /// Two sockets as `ss -tinH state established` prints them (iproute2 6.1, captured on this machine; the
    /// second trimmed). `segs_out:` must not be counted as `data_segs_out:`.
    static let capture = Array(
        ("0      0      127.0.0.1:19999 127.0.0.1:33446\n"
            + "\t bbr wscale:10,10 rto:204 rtt:0.024/0.011 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:13 "
            + "bytes_sent:30 bytes_acked:30 segs_out:3 segs_in:5 data_segs_out:3 bbr:(bw:29127109368bps,mrtt:0.009,"
            + "pacing_gain:2.88672,cwnd_gain:2.88672) send 141994666667bps lastsnd:56 lastrcv:156 lastack:56 "
            + "pacing_rate 312153570224bps delivery_rate 29127111104bps delivered:4 app_limited rcv_space:65483 "
            + "rcv_ssthresh:65483 minrtt:0.009 snd_wnd:65536\n"
            + "0      0      127.0.0.1:19999 127.0.0.1:33448\n"
            + "\t bbr segs_out:1200 segs_in:900 data_segs_out:1041 data_segs_in:12 delivered:1042\n").utf8)

    @Test func dataSegmentsAreSummedOverEverySocket() {
        #expect(SocketStatistics.sum(of: "data_segs_out:", in: Self.capture) == 1_044)
        #expect(SocketStatistics.sum(of: "segs_out:", in: Self.capture) == 1_203)
        #expect(SocketStatistics.sum(of: "data_segs_in:", in: Self.capture) == 12)
    }

    @Test func aKeyOnlyCountsAtTheStartOfAToken() {
        #expect(SocketStatistics.sum(of: "segs_out:", in: Array("xsegs_out:5 segs_out:7".utf8)) == 7)
        #expect(SocketStatistics.sum(of: "segs_out:", in: Array("segs_out:5".utf8)) == 5)
    }

    @Test func emptyTruncatedAndHostileInputGiveAFiniteSum() {
        #expect(SocketStatistics.sum(of: "data_segs_out:", in: []) == 0)
        #expect(SocketStatistics.sum(of: "data_segs_out:", in: Array("data_segs_out:".utf8)) == 0)
        #expect(SocketStatistics.sum(of: "data_segs_out:", in: Array("\tdata_segs_out:abc".utf8)) == 0)
        #expect(SocketStatistics.sum(of: "", in: Array("anything".utf8)) == 0)
        // More digits than an Int holds: the value stops growing instead of overflowing.
        let huge = Array(("data_segs_out:" + String(repeating: "9", count: 40)).utf8)
        #expect(SocketStatistics.sum(of: "data_segs_out:", in: huge) > 0)
    }
}
