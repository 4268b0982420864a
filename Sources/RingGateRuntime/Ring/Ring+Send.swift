import CLiburing
import Glibc

extension Ring {
    /// Sends `length` bytes at `bytes` on direct descriptor `fileIndex`. The caller keeps the bytes alive
    /// until the completion (a retained chunk). MSG_NOSIGNAL: a peer gone is -EPIPE, never SIGPIPE.
    func send(fileIndex: UInt32, bytes: UnsafeRawPointer, length: Int, tag: CompletionTag) {
        let sqe = nextSubmission()
        io_uring_prep_send(sqe, Int32(bitPattern: fileIndex), bytes, length, Int32(MSG_NOSIGNAL))
        sqe.pointee.flags |= CLiburing_IOSQE_FIXED_FILE
        sqe.pointee.user_data = tag.rawValue
    }
}
