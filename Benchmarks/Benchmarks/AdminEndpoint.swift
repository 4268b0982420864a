import Foundation
import Glibc

/// GET on a ringgate admin endpoint (127.0.0.1:port) with a plain blocking socket: `/status` as JSON, and
/// whichever process serves the port answers (the old one before an upgrade, the new one after it).
struct AdminEndpoint {
    let port: UInt16

    /// The body of a 200 answer, or nil (refused, timed out, another status).
    func get(_ path: String, timeoutSeconds: Int = 10) -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard LoopbackPort.connect(fd, to: port) else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while response.count < 16 << 20 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        guard let end = SoakChatters.headerEnd(response),
            String(decoding: response.prefix(12), as: UTF8.self).hasSuffix("200")
        else { return nil }
        return Array(response[end...])
    }

    /// `/status` as a JSON object, or nil.
    func status() -> [String: Any]? {
        guard let body = get("/status") else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// The serving process's pid, and per shard: connections and workers connected.
    func shards() -> (pid: Int32, connections: [Int], workers: [Int])? {
        guard let status = status(), let pid = status["pid"] as? Int, let shards = status["shards"] as? [[String: Any]]
        else { return nil }
        return (
            Int32(pid), shards.map { $0["connections"] as? Int ?? -1 },
            shards.map { $0["workers_connected"] as? Int ?? 0 }
        )
    }
}
