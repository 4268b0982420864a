import CLiburing
import Glibc

/// Submission entries prepared while the kernel's submission queue was full and would take nothing
/// (see `Ring.nextSubmission`), oldest first. Empty in normal operation; grows by need.
///
/// Safety: owned by one `Ring` on its shard's thread. A pointer from `append` is valid until the next
/// `append` (growing moves the storage); the ring's preparers write the entry right away.
struct SubmissionSpill {
    private var storage: UnsafeMutablePointer<io_uring_sqe>?
    private var capacity = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    subscript(index: Int) -> io_uring_sqe { storage![index] }

    /// A zeroed entry at the end of the list.
    mutating func append() -> UnsafeMutablePointer<io_uring_sqe> {
        if count == capacity { grow() }
        let entry = storage! + count
        memset(entry, 0, MemoryLayout<io_uring_sqe>.stride)
        count += 1
        return entry
    }

    /// Drops the `moved` oldest entries (they are in the kernel's queue now).
    mutating func removeFirst(_ moved: Int) {
        guard moved > 0 else { return }
        let left = count - moved
        if left > 0 { memmove(storage!, storage! + moved, left * MemoryLayout<io_uring_sqe>.stride) }
        count = left
    }

    func deallocate() { free(storage) }

    /// Doubles the storage. A spill only happens while the kernel refuses work, and it holds what the
    /// shard prepared meanwhile, which its own limits bound; malloc failing here leaves no way to
    /// keep the operation, so that one stays a trap.
    private mutating func grow() {
        let newCapacity = max(64, capacity * 2)
        guard let grown = realloc(storage, newCapacity * MemoryLayout<io_uring_sqe>.stride) else {
            fatalError("out of memory growing the submission spill list to \(newCapacity) entries")
        }
        storage = grown.assumingMemoryBound(to: io_uring_sqe.self)
        capacity = newCapacity
    }
}
