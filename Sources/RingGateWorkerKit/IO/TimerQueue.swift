/// The timers of one `EventLoop`: a binary min-heap of deadlines with their actions.
///
/// A worker has few timers (reconnects, Register pings, one query deadline per query connection), so
/// there is no cancellation: an action whose reason disappeared checks its own state and does nothing.
/// Equal deadlines fire in scheduling order.
struct TimerQueue {
    private struct Entry {
        var deadline: ContinuousClock.Instant
        var sequence: UInt64
        var action: () -> Void

        func fires(before other: Entry) -> Bool {
            deadline < other.deadline || (deadline == other.deadline && sequence < other.sequence)
        }
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    /// Number of scheduled timers.
    var count: Int { heap.count }

    /// The earliest deadline, or nil when nothing is scheduled.
    var nextDeadline: ContinuousClock.Instant? { heap.first?.deadline }

    /// Runs `action` on the loop thread once `deadline` has passed.
    mutating func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) {
        heap.append(Entry(deadline: deadline, sequence: nextSequence, action: action))
        nextSequence &+= 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].fires(before: heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the action of the earliest timer whose deadline is at or before `now`.
    mutating func popDue(now: ContinuousClock.Instant) -> (() -> Void)? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                let right = left + 1
                let earlier = right < heap.count && heap[right].fires(before: heap[left]) ? right : left
                guard heap[earlier].fires(before: heap[parent]) else { break }
                heap.swapAt(parent, earlier)
                parent = earlier
            }
        }
        return first.action
    }

    /// Drops every timer (loop shutdown).
    mutating func removeAll() {
        heap.removeAll()
    }

    /// Milliseconds `poll` may sleep before the next deadline: -1 when none, rounded up so a timer
    /// never fires early, capped to what `poll` takes.
    func pollTimeoutMilliseconds(now: ContinuousClock.Instant) -> Int32 {
        guard let deadline = nextDeadline else { return -1 }
        guard deadline > now else { return 0 }
        let remaining = (deadline - now).components
        let milliseconds =
            remaining.seconds * 1000 + (remaining.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }
}
