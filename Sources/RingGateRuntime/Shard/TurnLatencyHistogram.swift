/// How long a shard's loop turns take (from the wake-up to the end of the turn's work, not counting the
/// wait), in fixed power-of-four buckets from 1 µs to 256 ms. Plain counters owned by the shard thread;
/// copied out when scraped.
public struct TurnLatencyHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets in nanoseconds; the last bucket (above 256 ms) is unbounded.
    public static let upperBoundsNanoseconds: [UInt64] = (0..<10).map { 1_000 << (2 * UInt64($0)) }

    /// Turns per bucket (not cumulative); `counts.count == upperBoundsNanoseconds.count + 1`.
    public private(set) var counts: [UInt64] = Array(repeating: 0, count: Self.upperBoundsNanoseconds.count + 1)
    public private(set) var totalNanoseconds: UInt64 = 0
    public private(set) var turns: UInt64 = 0

    public init() {}

    @inline(__always)
    public mutating func record(nanoseconds: UInt64) {
        // Bucket b holds (4^(b-1) µs, 4^b µs]: log4 of the microseconds, rounded up.
        let microseconds = (nanoseconds &+ 999) / 1_000
        let bucket =
            microseconds <= 1
            ? 0 : min((UInt64.bitWidth - (microseconds &- 1).leadingZeroBitCount + 1) / 2, counts.count - 1)
        counts[bucket] &+= 1
        totalNanoseconds &+= nanoseconds
        turns &+= 1
    }
}
