import Glibc

/// One-shot probes of a port on 127.0.0.1, with a throwaway socket.
enum LoopbackPort {
    /// Nothing listens on `port` (a bind succeeds).
    static func isFree(_ port: UInt16) -> Bool { probe(port) { bind($0, $1, $2) } }

    /// Something accepts connections on `port`.
    static func accepts(_ port: UInt16) -> Bool { probe(port) { Glibc.connect($0, $1, $2) } }

    /// Connects `fd` (a TCP socket) to 127.0.0.1:`port`; false with errno set when refused.
    static func connect(_ fd: Int32, to port: UInt16) -> Bool {
        call(port, on: fd) { Glibc.connect($0, $1, $2) }
    }

    private static func probe(
        _ port: UInt16, _ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32
    ) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return Self.call(port, on: fd, call)
    }

    /// `call` with 127.0.0.1:`port` as its address.
    private static func call(
        _ port: UInt16, on fd: Int32, _ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32
    ) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                call(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
