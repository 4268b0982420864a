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

extension Ring {
    /// Arms one single-shot accept into the file table (IORING_FILE_INDEX_ALLOC) that also writes the
    /// peer's address into `address` (`length` in/out). Unlike the multishot accept, each completion has
    /// its own address, so it works on kernels that cannot read a direct socket's peer later (< 6.7).
    /// io_uring_prep_accept_direct(3), Linux 5.19. Storage stays valid until the completion arrives.
    func acceptDirect(
        listenerDescriptor: Int32, address: UnsafeMutableRawPointer, length: UnsafeMutablePointer<socklen_t>,
        tag: CompletionTag
    ) {
        let sqe = nextSubmission()
        io_uring_prep_accept(sqe, listenerDescriptor, address.assumingMemoryBound(to: sockaddr.self), length, 0)
        // IORING_FILE_INDEX_ALLOC (~0U) set directly: liburing 2.3's io_uring_prep_accept_direct adds 1
        // to the index it is given, which wraps ALLOC to 0 ("no fixed file").
        sqe.pointee.file_index = UInt32.max
        sqe.pointee.user_data = tag.rawValue
    }
}
