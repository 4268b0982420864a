import CLiburing

extension Ring {
    /// Arms the ring's single tick timeout: it completes with -ETIME after `nanoseconds`. The timing wheel
    /// re-arms it on every tick, so the whole shard needs one timer whatever its connection count.
    public func armTick(afterNanoseconds nanoseconds: Int64, tag: CompletionTag) {
        tickTimespec.tv_sec = nanoseconds / 1_000_000_000
        tickTimespec.tv_nsec = nanoseconds % 1_000_000_000
        let sqe = nextSubmission()
        io_uring_prep_timeout(sqe, &tickTimespec, 0, 0)
        sqe.pointee.user_data = tag.rawValue
    }

    /// Multishot POLLIN on an ordinary descriptor (the shard's wake-up eventfd).
    public func pollReadableMultishot(descriptor: Int32, tag: CompletionTag) {
        let sqe = nextSubmission()
        io_uring_prep_poll_multishot(sqe, descriptor, CLiburing_POLLIN)
        sqe.pointee.user_data = tag.rawValue
    }
}
