import CLiburing
import Glibc

extension Ring {
    /// shutdown(2) on a direct descriptor. Used before closing: an armed multishot receive holds its own
    /// reference to the socket, so closing the table slot alone would not end it; SHUT_RDWR wakes it
    /// with EOF and sends our FIN after data the kernel already holds.
    public func shutdown(fileIndex: UInt32, tag: CompletionTag) {
        let sqe = nextSubmission()
        io_uring_prep_shutdown(sqe, Int32(bitPattern: fileIndex), Int32(SHUT_RDWR))
        sqe.pointee.flags |= CLiburing_IOSQE_FIXED_FILE
        sqe.pointee.user_data = tag.rawValue
    }

    /// shutdown(SHUT_WR) on a direct descriptor: our FIN goes out after what the kernel holds, and the
    /// socket keeps receiving what the peer still sends (a live takeover closes worker links this way).
    public func shutdownWrite(fileIndex: UInt32, tag: CompletionTag) {
        let sqe = nextSubmission()
        io_uring_prep_shutdown(sqe, Int32(bitPattern: fileIndex), Int32(SHUT_WR))
        sqe.pointee.flags |= CLiburing_IOSQE_FIXED_FILE
        sqe.pointee.user_data = tag.rawValue
    }

    /// Removes `fileIndex` from the file table, closing the socket once no request holds it.
    /// Only called after every operation on the slot completed, so the index is free for reuse.
    public func closeDirect(fileIndex: UInt32, tag: CompletionTag) {
        let sqe = nextSubmission()
        io_uring_prep_close_direct(sqe, fileIndex)
        sqe.pointee.user_data = tag.rawValue
    }

    /// Cancels every request on direct descriptor `fileIndex` (IORING_ASYNC_CANCEL_FD_FIXED | ALL, Linux 6.0).
    public func cancelAll(fileIndex: UInt32, tag: CompletionTag) {
        let sqe = nextSubmission()
        io_uring_prep_cancel_fd(
            sqe, Int32(bitPattern: fileIndex), IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD_FIXED)
        sqe.pointee.user_data = tag.rawValue
    }

    /// Cancels the request that was submitted with `target`'s user_data (a multishot accept at shutdown).
    public func cancel(_ target: CompletionTag, tag: CompletionTag) {
        let sqe = nextSubmission()
        io_uring_prep_cancel64(sqe, target.rawValue, 0)
        sqe.pointee.user_data = tag.rawValue
    }
}
