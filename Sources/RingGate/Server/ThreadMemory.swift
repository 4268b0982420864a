import Logging
import RingGateRuntime

/// The memory a shard thread's shards share: one slab (huge pages when the host has them) that holds every
/// shard's receive-buffer rings, and one chunk pool for their partial messages and send queues. One thread
/// runs its shards one after the other, so sharing needs no lock; and 58 shards on 2 threads map 2 slabs,
/// not 58.
final class ThreadMemory {
    let slab: HugePageSlab
    let chunks: ChunkPool
    let clientBuffersPerShard: Int
    let upstreamBuffersPerShard: Int
    /// The thread's part of the process's memory budget (its shards hold chunks from one pool).
    let budget: Int

    init(thread: Int, shards: Int, configuration: GatewayConfiguration) throws {
        slab = try HugePageSlab(
            byteCount: configuration.slabBytes(shardsOnThread: shards), hugePages: configuration.useHugePages,
            hugetlbfsDirectory: configuration.hugetlbfsDirectory)
        chunks = ChunkPool(slab: slab)
        clientBuffersPerShard = configuration.receiveBuffersPerShard(shardsOnThread: shards)
        upstreamBuffersPerShard = configuration.upstreamBuffersPerShard(shardsOnThread: shards)
        budget = configuration.memoryBudget(onThread: thread)
    }

    /// Says once per process when the slabs fell back to normal pages, and why.
    func logBacking(logger: Logger, firstThread: Bool) {
        if case .normalPages(let reason) = slab.backing, firstThread {
            logger.notice("slab uses normal pages: \(reason)")
        }
    }
}
