import CLiburing

extension Ring {
    /// Arms a multishot accept on the listening socket `listenerDescriptor` that installs each new socket straight into the ring's
    /// file table (IORING_FILE_INDEX_ALLOC): no ordinary descriptor per client ever exists, so
    /// RLIMIT_NOFILE caps only the table size. Each completion's result is the new file index;
    /// -ENFILE means the table is full. io_uring_prep_multishot_accept_direct(3), Linux 5.19.
    public func acceptMultishotDirect(listenerDescriptor: Int32, tag: CompletionTag) {
        let sqe = nextSubmission()
        io_uring_prep_multishot_accept_direct(sqe, listenerDescriptor, nil, nil, 0)
        sqe.pointee.user_data = tag.rawValue
    }
}
