import CLiburing
import Glibc

/// Whether this kernel reads a socket's peer address through io_uring (SOCKET_URING_OP_GETSOCKOPT with
/// SO_PEERNAME, Linux 6.7). Without it a direct descriptor's peer is unknown after a multishot accept,
/// so listeners that need the peer (the inner listener: worker identity is `peerIP:name`) fall back to
/// address-reporting single-shot accepts.
///
/// Probed once per process on a throw-away ring with an unconnected TCP socket: a kernel that has the
/// command answers ENOTCONN; one without it answers EOPNOTSUPP (or EINVAL). Anything else (a sandbox
/// refusing io_uring, say) counts as missing: the fallback works everywhere.
///
/// `RINGGATE_FORCE_PEERNAME_FALLBACK=1` makes the probe report the command missing, so the fallback
/// can be exercised on a new kernel (tests, the cluster test bed).
public enum PeerNameCommandProbe {
    public static let forcedFallbackVariable = "RINGGATE_FORCE_PEERNAME_FALLBACK"

    /// The environment asks for the fallback.
    public static var fallbackForced: Bool {
        guard let value = getenv(forcedFallbackVariable) else { return false }
        let text = String(cString: value)
        return !text.isEmpty && text != "0"
    }

    /// The kernel has the command and the environment does not force the fallback.
    public static var commandAvailable: Bool { !fallbackForced && kernelHasCommand }

    /// The kernel's answer, probed on first use.
    public static let kernelHasCommand: Bool = probe()

    private static func probe() -> Bool {
        var ring = io_uring()
        guard io_uring_queue_init(2, &ring, 0) == 0 else { return false }
        defer { io_uring_queue_exit(&ring) }
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketDescriptor >= 0 else { return false }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        // The kernel writes `address` until the completion is reaped, so both happen inside the closure.
        let result: Int32 = withUnsafeMutablePointer(to: &address) { pointer in
            guard let sqe = io_uring_get_sqe(&ring) else { return -EAGAIN }
            CLiburing_prep_getsockopt_fixed(
                sqe, socketDescriptor, SOL_SOCKET, SO_PEERNAME, pointer, Int32(MemoryLayout<sockaddr_in>.size))
            sqe.pointee.flags = 0  // an ordinary descriptor, not a file-table index
            guard io_uring_submit(&ring) == 1 else { return -EAGAIN }
            var cqe: UnsafeMutablePointer<io_uring_cqe>?
            guard io_uring_wait_cqe(&ring, &cqe) == 0, let cqe else { return -EAGAIN }
            let result = cqe.pointee.res
            io_uring_cqe_seen(&ring, cqe)
            return result
        }
        return result == -ENOTCONN || result >= 0
    }
}
