import Glibc

/// A nonblocking IPv4 TCP client socket, owned by exactly one `LoopConnection`.
///
/// Safety: one of the kit's four unsafe owners (with `Poller`, `LoopThread` and `ByteCopy`). The
/// descriptor is one this value created and nobody else closes; every call that takes a pointer gets
/// one derived from a Swift array or local for the duration of that call only, together with the
/// count that array really has, so the kernel never writes past or reads beyond Swift-owned memory.
struct Socket: ~Copyable {
    /// The descriptor, or -1 once closed.
    private(set) var descriptor: Int32

    /// A new nonblocking, close-on-exec TCP socket with `TCP_NODELAY` (workers answer one small
    /// packet at a time; Nagle would add up to 40 ms to every round trip).
    init() throws(GatewayKitError) {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        descriptor = socket(AF_INET, type, 0)
        guard descriptor >= 0 else { throw .system(operation: "socket", errno: errno) }
        setOption(level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
    }

    /// A placeholder that owns no descriptor (a connection before `start`).
    init(unopened: Void) {
        descriptor = -1
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Turns on TCP keepalive (PHP workers rely on it to notice dead gateways, spec §5.5).
    func enableKeepAlive() {
        setOption(level: SOL_SOCKET, name: SO_KEEPALIVE, value: 1)
    }

    /// Starts connecting to `endpoint`: 0 when already connected, `EINPROGRESS` when the result
    /// arrives later (writability, then `pendingError()`), another errno on failure.
    func connect(to endpoint: IPv4Endpoint) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = endpoint.port.bigEndian
        address.sin_addr.s_addr = endpoint.ip.bigEndian
        let result = unsafe withUnsafePointer(to: &address) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                unsafe Glibc.connect(descriptor, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result == 0 { return 0 }
        return errno == EINTR ? EINPROGRESS : errno
    }

    /// `SO_ERROR`: 0 once a nonblocking connect succeeded, else why it failed.
    func pendingError() -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        let result = unsafe getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &value, &length)
        return result == 0 ? value : errno
    }

    /// Reads into the first `buffer.count` bytes of `buffer`: the byte count, 0 at end of stream, or
    /// `-errno` (`-EAGAIN` when nothing is buffered).
    func receive(into buffer: inout [UInt8]) -> Int {
        while true {
            let count = unsafe buffer.withUnsafeMutableBytes { bytes in
                unsafe recv(descriptor, bytes.baseAddress, bytes.count, 0)
            }
            if count >= 0 { return count }
            if errno != EINTR { return -Int(errno) }
        }
    }

    /// Writes `buffer[offset...]`: the byte count the kernel took, or `-errno`. `MSG_NOSIGNAL`, so a
    /// peer that went away yields `-EPIPE` instead of killing the process with SIGPIPE.
    func send(_ buffer: [UInt8], from offset: Int) -> Int {
        precondition(offset >= 0 && offset < buffer.count, "send a non-empty range of the buffer")
        while true {
            let count = unsafe buffer.withUnsafeBytes { bytes in
                unsafe Glibc.send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 { return count }
            if errno != EINTR { return -Int(errno) }
        }
    }

    /// Closes the descriptor (once; later calls do nothing).
    mutating func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    private func setOption(level: Int32, name: Int32, value: Int32) {
        var value = value
        _ = unsafe setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }
}

/// The text `strerror` gives for `code`.
///
/// Safety: `strerror` returns a pointer to a NUL-terminated static or thread-local string, read here
/// once, immediately.
func errnoDescription(_ code: Int32) -> String {
    unsafe String(cString: strerror(code))
}

/// Bulk byte copies between spans and arrays.
///
/// Safety: `Span` has no safe bulk copy into an `Array` in this toolchain (`OutputSpan` appends one
/// element at a time), so these two functions borrow the span's buffer for one `memcpy`-like copy of
/// exactly `span.count` bytes; the pointer never outlives the call.
enum ByteCopy {
    /// A new array holding the bytes of `span`.
    static func array(_ span: borrowing Span<UInt8>) -> [UInt8] {
        guard !span.isEmpty else { return [] }
        return unsafe span.withUnsafeBufferPointer { buffer in unsafe Array(buffer) }
    }

    /// Appends the bytes of `span` to `array`.
    static func append(_ span: borrowing Span<UInt8>, to array: inout [UInt8]) {
        guard !span.isEmpty else { return }
        unsafe span.withUnsafeBufferPointer { buffer in unsafe array.append(contentsOf: buffer) }
    }
}
