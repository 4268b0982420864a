import RingGateRuntime
import Testing

@testable import RingGate

struct SendQueuePoolTests {
    @Test func fifoWithPartialConsumptionAndNodeReuse() {
        var pool = SendQueuePool()
        var ends = SendQueuePool.Ends.empty
        pool.append(Chunk(id: 1), range: 0..<10, to: &ends)
        pool.append(Chunk(id: 2), range: 5..<8, to: &ends)
        #expect(ends.byteCount == 13)
        #expect(pool.consume(4, from: &ends) == nil)
        #expect(pool.head(of: ends)?.start == 4)
        #expect(pool.consume(6, from: &ends) == Chunk(id: 1))
        #expect(ends.byteCount == 3)
        #expect(pool.consume(3, from: &ends) == Chunk(id: 2))
        #expect(ends.isEmpty && ends.byteCount == 0 && pool.liveCount == 0)
        pool.append(Chunk(id: 3), range: 0..<1, to: &ends)
        #expect(pool.liveCount == 1)
    }

    @Test func idleStorageIsReleasedOnlyWhenNothingIsQueued() {
        var pool = SendQueuePool()
        var queues = [SendQueuePool.Ends](repeating: .empty, count: 2_000)
        for index in queues.indices { pool.append(Chunk(id: UInt32(index)), range: 0..<1, to: &queues[index]) }
        #expect(pool.releaseStorageIfIdle() == 0)  // everything still queued
        for index in queues.indices.dropLast() { _ = pool.popHead(&queues[index]) }
        #expect(pool.releaseStorageIfIdle() == 0)  // one node left
        _ = pool.popHead(&queues[queues.count - 1])
        #expect(pool.releaseStorageIfIdle() >= 2_000 * 16)
        var ends = SendQueuePool.Ends.empty
        pool.append(Chunk(id: 9), range: 0..<3, to: &ends)
        #expect(pool.head(of: ends)?.chunk == Chunk(id: 9) && pool.liveCount == 1)
    }

    @Test func prependPutsTheHandshakeResponseFirst() {
        var pool = SendQueuePool()
        var ends = SendQueuePool.Ends.empty
        pool.append(Chunk(id: 7), range: 0..<2, to: &ends)
        pool.prepend(Chunk(id: 9), range: 0..<129, to: &ends)
        #expect(pool.popHead(&ends) == Chunk(id: 9))
        #expect(pool.popHead(&ends) == Chunk(id: 7))
        #expect(ends.isEmpty)
        pool.prepend(Chunk(id: 4), range: 0..<1, to: &ends)
        #expect(ends.head == ends.tail && ends.byteCount == 1)
    }
}
