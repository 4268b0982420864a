import CLiburing
import Glibc

/// sd_notify(3) without libsystemd: one datagram per state change to the AF_UNIX socket named by
/// NOTIFY_SOCKET (a path, or an abstract name written with a leading '@').
///
/// Safety: the socket is created per message and closed before returning; the address is built in a
/// local `sockaddr_un` whose path length is checked against its capacity.
public struct SystemdNotifier: Sendable {
    /// The socket path as given ('@' for the abstract namespace).
    public let socketPath: String

    /// nil when the process was not started by systemd with Type=notify (no NOTIFY_SOCKET).
    public init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], path.count > 1,
            path.hasPrefix("/") || path.hasPrefix("@")
        else { return nil }
        socketPath = path
    }

    /// Sends `state` (e.g. "READY=1", "STOPPING=1", "WATCHDOG=1", "STATUS=…"); returns whether the
    /// datagram went out. Failures are not fatal: systemd may be gone already.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let message = Array(state.utf8)
        let sent = Self.withSocketAddress(path: socketPath) { address, length in
            message.withUnsafeBytes { bytes in
                sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), address, length)
            }
        }
        return sent == message.count
    }

    /// Calls `body` with the AF_UNIX address of `path` (a leading '@' names the abstract namespace);
    /// nil when the path does not fit a `sockaddr_un`.
    public static func withSocketAddress<R>(
        path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R
    ) -> R? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        // A path's terminating NUL is part of the length; an abstract name has none.
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    /// The watchdog interval systemd expects pings within (WATCHDOG_USEC), when it applies to this
    /// process (WATCHDOG_PID absent or ours).
    public static func watchdogInterval(environment: [String: String]) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else {
            return nil
        }
        if let pid = environment["WATCHDOG_PID"], pid != String(getpid()) { return nil }
        return .microseconds(Int64(min(microseconds, UInt64(Int64.max))))
    }
}
