import Glibc

/// Readiness waiting for one `EventLoop`: `poll(2)` over the loop's descriptors plus a wake-up pipe.
///
/// Why poll and not epoll: the Glibc module Swift ships does not export `<sys/epoll.h>` (nor
/// `eventfd`), and the kit may not add a C target. A worker holds a handful of descriptors (one per
/// Register, one worker and at most one query connection per gateway), so scanning them in `poll` costs
/// less than the `epoll_ctl` calls epoll would need when write interest changes.
///
/// Safety: one of the kit's four unsafe owners. `wait` hands the kernel the buffer of the entries array
/// with its real count for the duration of the call; the pipe calls pass a pointer to a local byte or a
/// local array. The pipe descriptors are created here and closed by `close(_:)` only.
enum Poller {
    /// The two ends of a nonblocking, close-on-exec pipe: the loop polls `read`, any thread writes
    /// one byte to `write` to wake it.
    struct WakePipe: Sendable {
        var read: Int32
        var write: Int32
    }

    /// A new wake-up pipe.
    static func makeWakePipe() throws(GatewayKitError) -> WakePipe {
        var ends: [Int32] = [-1, -1]
        let result = unsafe ends.withUnsafeMutableBufferPointer { buffer in unsafe pipe(buffer.baseAddress) }
        guard result == 0 else { throw .system(operation: "pipe", errno: errno) }
        for descriptor in ends {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        return WakePipe(read: ends[0], write: ends[1])
    }

    /// Closes both ends of `pipe`.
    static func close(_ pipe: WakePipe) {
        Glibc.close(pipe.read)
        Glibc.close(pipe.write)
    }

    /// Makes the next (or current) `wait` return. A full pipe (`EAGAIN`) already guarantees that.
    static func wake(_ pipe: WakePipe) {
        var byte: UInt8 = 1
        _ = unsafe Glibc.write(pipe.write, &byte, 1)
    }

    /// Empties the pipe after it polled readable.
    static func drain(_ pipe: WakePipe) {
        var scratch = [UInt8](repeating: 0, count: 64)
        while true {
            let count = unsafe scratch.withUnsafeMutableBytes { bytes in
                unsafe Glibc.read(pipe.read, bytes.baseAddress, bytes.count)
            }
            if count < scratch.count && !(count < 0 && errno == EINTR) { return }
        }
    }

    /// Waits until an entry is ready or `timeoutMilliseconds` passed (-1: no limit). Returns the
    /// number of ready entries (their `revents` are set), 0 on timeout or interruption.
    static func wait(_ entries: inout [pollfd], timeoutMilliseconds: Int32) -> Int {
        let result = unsafe entries.withUnsafeMutableBufferPointer { buffer in
            unsafe poll(buffer.baseAddress, nfds_t(buffer.count), timeoutMilliseconds)
        }
        if result < 0 {
            precondition(errno == EINTR || errno == ENOMEM, "poll on the loop's own descriptors: errno \(errno)")
            return 0
        }
        return Int(result)
    }
}
