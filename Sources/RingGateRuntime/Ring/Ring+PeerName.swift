import CLiburing
import Glibc

extension Ring {
    /// getsockopt(SOL_SOCKET, SO_PEERNAME) on a direct descriptor through IORING_OP_URING_CMD
    /// (SOCKET_URING_OP_GETSOCKOPT, Linux 6.7): the only way to learn a direct socket's peer without
    /// an ordinary descriptor, because a multishot accept shares one address buffer between all its
    /// completions. `length` must not exceed the address size (sock_getsockopt rejects larger).
    func peerName(fileIndex: UInt32, into storage: UnsafeMutableRawPointer, length: Int32, tag: CompletionTag) {
        let sqe = nextSubmission()
        CLiburing_prep_getsockopt_fixed(sqe, Int32(bitPattern: fileIndex), SOL_SOCKET, SO_PEERNAME, storage, length)
        sqe.pointee.user_data = tag.rawValue
    }
}
