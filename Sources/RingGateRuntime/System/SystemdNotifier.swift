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
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { bytes in
                    sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == message.count
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
