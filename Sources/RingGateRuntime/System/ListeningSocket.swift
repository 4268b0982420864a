import CLiburing
import Glibc

/// A TCP listening socket owned by one shard.
///
/// Every shard binds its own socket to the same address with SO_REUSEPORT, so the kernel spreads
/// incoming connections over the shards and no accept queue is shared between threads (socket(7)).
///
/// Safety: the descriptor is owned by this object alone; it is closed once, in `deinit`, after the shard's ring
/// (which may hold a multishot accept on it) has been torn down.
public final class ListeningSocket: Sendable {
    public let descriptor: Int32
    /// The bound address, with the real port when 0 was asked for.
    public let address: SocketAddress

    /// Binds and listens. `nonBlocking` is for listeners driven by readiness (`EventPoller`) rather than
    /// by io_uring accepts, so that an accept after a readiness report never blocks.
    public init(
        binding address: SocketAddress, backlog: Int32 = 4096, reusePort: Bool = true, nonBlocking: Bool = false
    ) throws(SystemError) {
        var type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        let fd = try retryingSyscall("socket") { socket(address.family, type, 0) }
        do {
            var one: Int32 = 1
            let size = socklen_t(MemoryLayout<Int32>.size)
            _ = try retryingSyscall("setsockopt(SO_REUSEADDR)") { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, size) }
            if reusePort {
                _ = try retryingSyscall("setsockopt(SO_REUSEPORT)") {
                    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, size)
                }
            }
            _ = try retryingSyscall("setsockopt(TCP_NODELAY)") {
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, size)
            }
            _ = try retryingSyscall("bind \(address)") { address.withSockAddr { bind(fd, $0, $1) } }
            _ = try retryingSyscall("listen") { listen(fd, backlog) }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = try retryingSyscall("getsockname") {
                withUnsafeMutablePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
                }
            }
            self.address = withUnsafeBytes(of: &storage) { SocketAddress(storage: $0.baseAddress!) } ?? address
        } catch {
            close(fd)
            throw error
        }
        self.descriptor = fd
    }

    /// Takes ownership of an inherited listening socket (a live takeover's predecessor sent it): reads its
    /// address with getsockname and checks SO_ACCEPTCONN, so a descriptor that is not a listening IPv4/IPv6
    /// socket is refused. When this throws, the descriptor is still the caller's to close. Options and file
    /// status flags (O_NONBLOCK, SO_REUSEPORT group membership) belong to the socket and come with it.
    public init(adopting descriptor: Int32) throws(SystemError) {
        var listening: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        _ = try retryingSyscall("getsockopt(SO_ACCEPTCONN) on adopted descriptor \(descriptor)") {
            getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size)
        }
        guard listening != 0 else {
            throw SystemError("adopt listener: descriptor \(descriptor) is not listening", errno: EINVAL)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try retryingSyscall("getsockname on adopted descriptor \(descriptor)") {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
        }
        guard let address = withUnsafeBytes(of: &storage, { SocketAddress(storage: $0.baseAddress!) }) else {
            throw SystemError(
                "adopt listener: descriptor \(descriptor) is not an IPv4/IPv6 socket", errno: EAFNOSUPPORT)
        }
        self.descriptor = descriptor
        self.address = address
    }

    /// A close-on-exec copy of the descriptor (fcntl F_DUPFD_CLOEXEC): what the old process sends while
    /// keeping its own. The caller owns the copy.
    public func duplicate() throws(SystemError) -> Int32 {
        try retryingSyscall("fcntl(F_DUPFD_CLOEXEC) of listener \(address)") { fcntl(descriptor, F_DUPFD_CLOEXEC, 0) }
    }

    deinit { close(descriptor) }
}
