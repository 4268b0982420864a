import CLiburing

extension Ring {
    /// IORING_OP_FIXED_FD_INSTALL (Linux 6.8): installs direct descriptor `fileIndex` as an ordinary,
    /// O_CLOEXEC descriptor; the completion's result is the new fd or -errno.
    ///
    /// The direct descriptor stays in the table (the ordinary one is a second reference to the same socket),
    /// so a live takeover can hand the socket over and still close its slot only once the handover succeeded.
    /// The kernel installs into the file table of the task that submits (io_uring/openclose.c), so the fd
    /// belongs to this process and counts against its RLIMIT_NOFILE: callers work in bounded batches.
    public func installFixedFile(fileIndex: UInt32, tag: CompletionTag) {
        let sqe = nextSubmission()
        CLiburing_prep_fixed_fd_install(sqe, Int32(bitPattern: fileIndex), 0)
        sqe.pointee.user_data = tag.rawValue
    }

    /// Whether this kernel has IORING_OP_FIXED_FD_INSTALL (probe; liburing 2.3's headers predate the opcode:
    /// its value is 54 in the kernel ABI, defined in the shim). Asks the kernel (IORING_REGISTER_PROBE), so like
    /// every registration it must run on the ring's own thread.
    public var supportsFixedFileInstall: Bool {
        guard let probe = io_uring_get_probe_ring(&ring) else { return false }
        defer { io_uring_free_probe(probe) }
        return io_uring_opcode_supported(probe, CLiburing_IORING_OP_FIXED_FD_INSTALL) != 0
    }
}
