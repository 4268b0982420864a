import Glibc
import RingGateRuntime
import Testing

struct ChunkPoolTests {
    func makePool(slabBytes: Int = 2 << 20) throws -> ChunkPool {
        ChunkPool(slab: try HugePageSlab(byteCount: slabBytes, hugePages: false))
    }

    @Test func sharedChunkLivesUntilTheLastRelease() throws {
        let pool = try makePool()
        let chunk = pool.allocate(capacity: 100)
        #expect(pool.capacity(of: chunk) == 256)
        pool.retain(chunk)
        pool.retain(chunk)
        pool.release(chunk)
        pool.release(chunk)
        #expect(pool.liveCount == 1)
        pool.release(chunk)
        #expect(pool.liveCount == 0 && pool.slabBytesInUse == 0)
    }

    /// Free blocks are threaded through the slab itself: a burst of chunks released and allocated again
    /// reuses the same blocks (no slab growth), and the records' storage goes once nothing is alive.
    @Test func aBurstReusesItsBlocksAndGivesBackItsRecords() throws {
        let pool = try makePool()
        let burst = (0..<3_000).map { _ in pool.allocate(capacity: 200) }
        let bytes = pool.slabBytesInUse
        #expect(bytes == 3_000 * 256)
        #expect(pool.releaseStorageIfIdle() == 0)  // chunks alive
        for chunk in burst { pool.release(chunk) }
        #expect(pool.releaseStorageIfIdle() >= 3_000 * 32)
        let again = (0..<3_000).map { _ in pool.allocate(capacity: 200) }
        #expect(pool.slabBytesInUse == bytes && pool.slabExhaustedCount == 0 && pool.heapBytesInUse == 0)
        // Every block is handed out once: writing a distinct byte into each reads back intact.
        for (index, chunk) in again.enumerated() {
            pool.withMutableBytes(chunk) { $0[0] = UInt8(truncatingIfNeeded: index) }
            pool.setLength(1, of: chunk)
        }
        for (index, chunk) in again.enumerated() {
            pool.withBytes(chunk) { #expect($0[0] == UInt8(truncatingIfNeeded: index)) }
            pool.release(chunk)
        }
        #expect(pool.liveCount == 0)
    }

    @Test func appendGrowsThroughTheClassesIntoTheHeap() throws {
        let pool = try makePool()
        var chunk = pool.allocate(capacity: 10)
        var expected: [UInt8] = []
        for round in 0..<200 {
            let piece = [UInt8](repeating: UInt8(round), count: 1000)
            expected += piece
            chunk = pool.append(piece.span, to: chunk)
        }
        #expect(pool.length(of: chunk) == 200_000)
        #expect(pool.heapBytesInUse > 0)  // past the 128 KiB class
        pool.withBytes(chunk) { bytes in
            #expect(bytes.count == expected.count)
            var same = true
            for index in 0..<bytes.count where bytes[index] != expected[index] { same = false }
            #expect(same)
        }
        pool.release(chunk)
        #expect(pool.liveCount == 0 && pool.heapBytesInUse == 0 && pool.slabBytesInUse == 0)
    }

    @Test func exhaustedSlabFallsBackToTheHeapAndCountsIt() throws {
        let pool = try makePool(slabBytes: 1)  // rounds up to one 2 MiB page
        var chunks: [Chunk] = []
        for _ in 0..<20 { chunks.append(pool.allocate(capacity: 131_072)) }
        #expect(pool.slabExhaustedCount > 0)
        for chunk in chunks { pool.release(chunk) }
        #expect(pool.heapBytesInUse == 0)
    }

    @Test func writeCopiesAtAnOffset() throws {
        let pool = try makePool()
        let chunk = pool.allocate(capacity: 8)
        pool.write([1, 2, 3].span, to: chunk, at: 2)
        #expect(pool.length(of: chunk) == 5)
        pool.withBytes(chunk) { bytes in #expect(bytes[2] == 1 && bytes[4] == 3) }
        pool.release(chunk)
    }
}

struct HugePageSlabTests {
    /// Huge pages when the host has them reserved, otherwise normal pages with a reason that says how
    /// to reserve them. Either way the slab works.
    @Test func fallsBackToNormalPagesWithAReason() throws {
        let slab = try HugePageSlab(byteCount: 2 << 20, hugePages: true)
        let free = Self.freeHugePages()
        if free >= 1 {
            #expect(slab.backing == .hugePages)
        } else {
            guard case .normalPages(let reason) = slab.backing else {
                Issue.record("expected normal pages without free huge pages")
                return
            }
            #expect(reason.contains("nr_hugepages"))
        }
        let disabled = try HugePageSlab(byteCount: 1, hugePages: false)
        #expect(disabled.backing == .normalPages(reason: "huge pages disabled by configuration"))
        #expect(disabled.byteCount == 2 << 20)
    }

    @Test func missingHugetlbfsMountFallsBack() throws {
        let slab = try HugePageSlab(byteCount: 1, hugePages: true, hugetlbfsDirectory: "/nonexistent-hugetlbfs")
        #expect(!slab.backing.isHuge)
    }

    static func freeHugePages() -> Int {
        guard let file = fopen("/proc/meminfo", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("HugePages_Free:") {
                let digits = text.dropFirst("HugePages_Free:".count).filter(\.isNumber)
                return Int(digits) ?? 0
            }
        }
        return 0
    }
}
