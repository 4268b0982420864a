import Testing

@testable import BenchmarkReport

@Suite(.timeLimit(.minutes(1)))
struct ProcParsingTests {
    @Test func statFieldsAreCountedAfterTheLastParenthesis() throws {
        // A command name with spaces and a ')' must not shift utime (field 14) and stime (field 15).
        let stat = "4242 (ring gate) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 3 0 100 0"
        let cpu = try #require(ProcessCPU(stat: stat))
        #expect(cpu.userTicks == 1234)
        #expect(cpu.systemTicks == 567)
    }

    @Test func statusAndSmapsRollupGiveRssAnonAndHugePagesApart() {
        let status =
            "Name:\tringgate\nVmRSS:\t   35504 kB\nRssAnon:\t   2700 kB\nRssFile:\t  32000 kB\nHugetlbPages:\t  32768 kB\n"
        let rollup = "Rss:  35504 kB\nAnonymous:   2690 kB\nPrivate_Hugetlb:   32768 kB\n"
        let memory = ProcessMemory(status: status, smapsRollup: rollup)
        #expect(memory.rssKB == 35504)
        #expect(memory.rssAnonKB == 2700)
        #expect(memory.rssFileKB == 32000)
        #expect(memory.hugetlbKB == 32768)
        #expect(memory.smapsAnonymousKB == 2690)
        #expect(memory.smapsPrivateHugetlbKB == 32768)
    }

    @Test func sockstatAndMeminfo() {
        let sockstat =
            "sockets: used 200345\nTCP: inuse 200010 orphan 0 tw 3 alloc 200012 mem 5000\nUDP: inuse 1 mem 0\n"
        let meminfo = "MemTotal:  24000000 kB\nMemAvailable: 20000000 kB\nSlab:  900000 kB\nSUnreclaim:  400000 kB\n"
        let kernel = KernelMemory(sockstat: sockstat, meminfo: meminfo)
        #expect(kernel.tcpInUse == 200010)
        #expect(kernel.tcpAllocated == 200012)
        #expect(kernel.tcpMemoryPages == 5000)
        #expect(kernel.slabKB == 900000)
        #expect(kernel.slabUnreclaimableKB == 400000)
        #expect(kernel.memAvailableKB == 20000000)
    }

    @Test func idleBytesPerConnectionUseRssAnonGrowth() {
        var idle = IdleResult()
        idle.established = 1024
        idle.memoryBefore.rssAnonKB = 1000
        idle.memoryAfter.rssAnonKB = 1064
        idle.kernelBefore.slabKB = 0
        idle.kernelAfter.slabKB = 2048
        #expect(idle.bytesPerConnection == 64)
        #expect(idle.kernelBytesPerConnection == 2048)
    }
}
