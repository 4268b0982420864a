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

    deinit { close(descriptor) }
}
