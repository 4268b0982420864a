import Glibc

/// A failed setup system call: which operation, and the errno it returned.
///
/// Only setup paths (socket, bind, mmap, io_uring_setup) throw this. Completion results on the hot path
/// are plain values handed to the state machines, because an EAGAIN or ECONNRESET there is an event,
/// not an error.
public struct SystemError: Error, Equatable, CustomStringConvertible {
    public var operation: String
    public var errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        "\(operation): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The one funnel for setup syscalls: retries EINTR and turns -1/errno into `SystemError`.
@inline(__always)
func retryingSyscall(_ operation: String, _ call: () -> Int32) throws(SystemError) -> Int32 {
    while true {
        let result = call()
        if result >= 0 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemError(operation, errno: code)
    }
}

/// liburing returns `-errno` instead of setting errno; this maps it to `SystemError`.
@inline(__always)
func checkedLiburing(_ operation: String, _ result: Int32) throws(SystemError) -> Int32 {
    if result < 0 { throw SystemError(operation, errno: -result) }
    return result
}
