/// Hands out connection ids the way the PHP Gateway does (spec §3).
///
/// A counter starting at 0: for each new client, if the counter is at 4 294 967 295 it restarts at 0,
/// then it is incremented until it names an id not in use. So ids start at 1, increase, skip ids still
/// in use, wrap back to 1, and are never 0 — libraries treat 0 as "no client" (§3), and a worker's
/// `client_id` is built from this number, so an id must stay unique among live clients of the shard.
struct ConnectionIDAllocator: Sendable {
    /// The largest id (PHP's `$max_unsigned_int`).
    static let maximum = UInt32.max

    /// The last id handed out (0 before the first).
    private(set) var counter: UInt32

    /// An allocator whose next id is the first one after `counter` not in use.
    init(counter: UInt32 = 0) {
        self.counter = counter
    }

    /// The next id for which `isInUse` is false, or nil when all 4 294 967 295 ids are taken.
    ///
    /// PHP's loop would run past 2³²−1 when the ids at the top are in use; here the search wraps to 1
    /// instead, and gives up after one full turn rather than spin forever.
    mutating func allocate(isInUse: (UInt32) -> Bool) -> UInt32? {
        if counter >= Self.maximum { counter = 0 }
        for _ in 0..<UInt64(Self.maximum) {
            counter = counter == Self.maximum ? 1 : counter + 1
            if !isInUse(counter) { return counter }
        }
        return nil
    }
}
