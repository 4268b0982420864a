/// Why a worker kit call failed.
public enum GatewayKitError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A configured address is not `a.b.c.d:port` (hostnames are not resolved).
    case invalidAddress(String)
    /// A setup system call failed.
    case system(operation: String, errno: Int32)
    /// No TCP connection to the address could be made.
    case connectFailed(address: String, errno: Int32)
    /// The peer closed the connection (or it failed) before the reply arrived.
    case connectionClosed(address: String)
    /// No reply within the query timeout (5 s by default, like PHP); the connection was dropped.
    case timeout(address: String)
    /// The peer sent bytes that cannot be framed; the connection was dropped.
    case protocolError(address: String, reason: String)
    /// The Register knows no gateway (PHP throws the same way).
    case noGatewayAddresses
    /// No Register answered with a gateway list.
    case registerUnavailable(reason: String)
    /// A command could not be encoded (e.g. above the 10 MiB packet limit the gateway enforces).
    case commandTooLarge(byteCount: Int)
    /// The worker or client was shut down (or never started).
    case shutdown

    /// One line for logs and test failures.
    public var description: String {
        switch self {
        case .invalidAddress(let text): "invalid address \"\(text)\" (want a.b.c.d:port)"
        case .system(let operation, let code): "\(operation) failed: \(errnoDescription(code)) (\(code))"
        case .connectFailed(let address, let code):
            "cannot connect to \(address): \(errnoDescription(code)) (\(code))"
        case .connectionClosed(let address): "connection to \(address) closed before the reply"
        case .timeout(let address): "no reply from \(address) within the query timeout"
        case .protocolError(let address, let reason): "bad bytes from \(address): \(reason)"
        case .noGatewayAddresses: "the Register lists no gateway"
        case .registerUnavailable(let reason): "no gateway list from the Register: \(reason)"
        case .commandTooLarge(let byteCount): "a command of \(byteCount) bytes exceeds the packet limit"
        case .shutdown: "the worker kit loop is not running"
        }
    }
}
