import Glibc

/// What one generator process does: which server, how many connections, from which source addresses.
public struct GeneratorPlan: Sendable {
    /// Server IPv4 address (host order) and port.
    public var serverAddress: UInt32
    public var serverPort: UInt16
    public var connectionCount: Int
    /// This process's first connection in the whole fleet; picks its source addresses.
    public var firstGlobalIndex: Int
    /// Connections per (source address, server port) before the next source address is used.
    public var connectionsPerSource: Int = 8000
    /// Source addresses in use (127.0.0.2 upwards); churn cycles through them.
    public var sourceCount: Int = 1
    public var framing: StreamFraming
    /// Payload bytes of every echo message.
    public var messageSize: Int = 64
    /// Connects in flight at once.
    public var connectWindow: Int = 512
    /// Send one echo right after each handshake and count its reply.
    public var verifyOnEstablish = true
    /// CPU to pin the generator thread to, or -1.
    public var cpu: Int = -1

    public init(
        serverAddress: UInt32, serverPort: UInt16, connectionCount: Int, firstGlobalIndex: Int,
        framing: StreamFraming
    ) {
        self.serverAddress = serverAddress
        self.serverPort = serverPort
        self.connectionCount = connectionCount
        self.firstGlobalIndex = firstGlobalIndex
        self.framing = framing
    }

    /// Source address (host order) for connection `globalIndex`: 127.0.0.2 + index / connectionsPerSource.
    public func sourceAddress(globalIndex: Int) -> UInt32 {
        let source = (globalIndex / connectionsPerSource) % max(1, sourceCount)
        return 0x7F00_0002 + UInt32(source)
    }

    /// Parses "a.b.c.d" into a host-order IPv4 address.
    public static func parseIPv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".")
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }
}

/// A monotonic clock in nanoseconds (CLOCK_MONOTONIC: comparable between processes on one machine).
@inline(__always)
public func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}
