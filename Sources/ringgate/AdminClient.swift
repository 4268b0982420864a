import ArgumentParser
import Foundation
import Glibc
import RingGateRuntime

/// A blocking HTTP/1.1 GET against the admin endpoint (loopback, one request per connection), for
/// `ringgate status` and `ringgate stop`.
enum AdminClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func get(_ path: String, from address: SocketAddress, timeoutSeconds: Int = 10) throws -> (
        status: Int, body: [UInt8]
    ) {
        let descriptor = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard address.withSockAddr({ connect(descriptor, $0, $1) }) == 0 else {
            throw Failure(
                description:
                    "no RingGate admin endpoint at \(address) (\(String(cString: strerror(errno)))); is it running? "
                    + "(admin.listen in the config; --admin to point elsewhere)")
        }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\n\r\n".utf8)
        guard
            request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) })
                == request.count
        else { throw Failure(description: "cannot send the request to \(address)") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else { throw Failure(description: "reading from \(address): errno \(errno)") }
            response += buffer[..<count]
        }
        guard let headEnd = response.firstRange(of: [13, 10, 13, 10]),
            let statusLine = String(
                validating: response[..<(response.firstRange(of: [13, 10])?.lowerBound ?? 0)], as: UTF8.self),
            statusLine.split(separator: " ").count >= 2, let status = Int(statusLine.split(separator: " ")[1])
        else { throw Failure(description: "not an HTTP response from \(address)") }
        return (status, Array(response[headEnd.upperBound...]))
    }

    /// An administrative action (`/reload`, `/upgrade`): its report on stdout and exit 0 when it succeeded
    /// (HTTP 200), else the report on stderr and exit 1.
    static func runAction(_ path: String, at address: SocketAddress, timeoutSeconds: Int) throws {
        let (code, body) = try get(path, from: address, timeoutSeconds: timeoutSeconds)
        let text = String(decoding: body, as: UTF8.self)
        if code == 200 {
            print(text, terminator: "")
            return
        }
        FileHandle.standardError.write(Data(text.utf8))
        throw ExitCode(1)
    }
}
