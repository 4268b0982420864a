import CLiburing
import Glibc

extension Ring {
    /// Creates a TCP socket straight into the ring's file table (IORING_FILE_INDEX_ALLOC); the result
    /// is the new file index. io_uring_prep_socket_direct_alloc(3), Linux 5.19.
    public func socketDirect(family: Int32, tag: CompletionTag) {
        let sqe = nextSubmission()
        io_uring_prep_socket_direct_alloc(sqe, family, Int32(SOCK_STREAM.rawValue), 0, 0)
        sqe.pointee.user_data = tag.rawValue
    }

    /// connect(2) on direct descriptor `fileIndex`. The kernel copies the address when the entry is
    /// submitted; the caller keeps `address` alive until the completion anyway.
    func connect(fileIndex: UInt32, address: UnsafeRawPointer, length: socklen_t, tag: CompletionTag) {
        let sqe = nextSubmission()
        io_uring_prep_connect(
            sqe, Int32(bitPattern: fileIndex), address.assumingMemoryBound(to: sockaddr.self), length)
        sqe.pointee.flags |= CLiburing_IOSQE_FIXED_FILE
        sqe.pointee.user_data = tag.rawValue
    }
}
