import CLiburing
import Synchronization

/// The process heap (glibc malloc).
public enum Heap {
    /// Gives free heap pages back to the kernel (`malloc_trim(0)`, every arena): glibc keeps freed
    /// memory mapped, so without this a burst's peak stays in the resident size after it is freed.
    public static func returnFreedMemory() {
        lastReturnNanoseconds.store(ShardLoop.now(), ordering: .relaxed)
        _ = malloc_trim(0)
    }

    /// `returnFreedMemory()` unless any thread did within `intervalNanoseconds`: for memory freed in
    /// amounts too small to trim at once, which add up over many shards (58 shards each freeing a few
    /// KiB of handshake timers left a burst's pages resident: ~40 B per connection after 100,000).
    /// Process-wide, since `malloc_trim` is: at most one such trim per interval, whichever shard asks.
    /// True when it trimmed.
    @discardableResult
    public static func returnFreedMemoryIfDue(now: UInt64, intervalNanoseconds: UInt64) -> Bool {
        let last = lastReturnNanoseconds.load(ordering: .relaxed)
        guard now &- last >= intervalNanoseconds,
            lastReturnNanoseconds.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
        else { return false }
        _ = malloc_trim(0)
        return true
    }

    private static let lastReturnNanoseconds = Atomic<UInt64>(0)

    /// Pins glibc's mmap threshold at its default 128 KiB. glibc raises the threshold each time an
    /// mmapped block is freed, after which the shards' large arrays (the connection table as it grows)
    /// land in the malloc arena, where their freed copies stay resident; pinned, every large block gets
    /// its own mapping and goes back to the kernel when freed. Measured: 100k idle connections
    /// 69 → 62 B each. Process-wide; called once when a gateway starts.
    public static func keepLargeBlocksMapped() {
        _ = mallopt(M_MMAP_THRESHOLD, 128 * 1024)
    }
}
