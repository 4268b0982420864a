/// A hashed timing wheel: O(1) scheduling of many coarse deadlines, all driven by the shard's single
/// tick timeout.
///
/// Entries carry an opaque 64-bit payload (typically a completion tag: kind, generation, slot), and are
/// never removed early: when the thing they time has ended, its generation no longer matches and the
/// owner ignores the firing. That keeps per-connection records free of timer links.
public struct TimingWheel: Sendable {
    private struct Entry: Sendable {
        var deadline: UInt64
        var payload: UInt64
    }

    /// Length of one tick in nanoseconds.
    public let tickNanoseconds: UInt64
    private var slots: [[Entry]]
    /// The tick the wheel has advanced to.
    public private(set) var currentTick: UInt64 = 0
    /// Entries scheduled and not yet fired.
    public private(set) var count = 0
    /// Bytes of slot storage given back since the owner last took this figure (see `takeReleasedBytes`).
    private var releasedBytes = 0
    /// A slot emptied by `advance` keeps at most this many entries of capacity: a burst of connects
    /// (one handshake timeout each) must not leave its peak behind for the wheel's lifetime. None: with 64
    /// kept, the 512 slots of each of 58 shards held their ~1 KiB after a million connects (30 B per
    /// connection), while freeing one small array per tick costs nothing measurable.
    static let retainedCapacity = 0

    /// `startTick` is the clock's tick now (CLOCK_MONOTONIC / tick): entries scheduled before the
    /// first `advance` are then due relative to the real time, not to tick 0.
    public init(tickNanoseconds: UInt64, slotCount: Int = 512, startTick: UInt64 = 0) {
        precondition(tickNanoseconds > 0 && slotCount > 0, "timing wheel needs a tick and slots")
        self.tickNanoseconds = tickNanoseconds
        self.currentTick = startTick
        slots = Array(repeating: [], count: slotCount)
    }

    /// Schedules `payload` to fire once `delayNanoseconds` have passed (rounded up to whole ticks, at
    /// least one tick from now).
    public mutating func schedule(_ payload: UInt64, afterNanoseconds delayNanoseconds: UInt64) {
        let ticks = max(1, (delayNanoseconds + tickNanoseconds - 1) / tickNanoseconds)
        let deadline = currentTick + ticks
        slots[Int(deadline % UInt64(slots.count))].append(Entry(deadline: deadline, payload: payload))
        count += 1
    }

    /// Advances to `tick`, calling `fire` for every entry whose deadline has come, in deadline order per
    /// slot. Entries scheduled from inside `fire` land in later ticks.
    public mutating func advance(to tick: UInt64, _ fire: (UInt64) -> Void) {
        guard tick > currentTick else { return }
        let steps = min(tick - currentTick, UInt64(slots.count))
        let start = currentTick + 1
        currentTick = tick
        for step in 0..<steps {
            let index = Int((start + step) % UInt64(slots.count))
            guard !slots[index].isEmpty else { continue }
            var due: [UInt64] = []
            slots[index].removeAll { entry in
                guard entry.deadline <= tick else { return false }
                due.append(entry.payload)
                return true
            }
            count -= due.count
            if slots[index].isEmpty && slots[index].capacity > Self.retainedCapacity {
                releasedBytes += slots[index].capacity * MemoryLayout<Entry>.stride
                slots[index] = []
            }
            for payload in due { fire(payload) }
        }
    }

    /// Bytes of slot storage freed since the last call; the shard returns freed heap to the kernel
    /// once enough has accumulated.
    public mutating func takeReleasedBytes() -> Int {
        defer { releasedBytes = 0 }
        return releasedBytes
    }
}
