/// A minimal RFC 6455 client over `TestClient`: handshake, masked frames out, frames in.
public final class WebSocketTestClient {
    public let connection: TestClient

    public struct Frame: Equatable, CustomStringConvertible {
        public var fin: Bool
        public var opcode: UInt8
        public var payload: [UInt8]
        public init(fin: Bool, opcode: UInt8, payload: [UInt8]) {
            self.fin = fin
            self.opcode = opcode
            self.payload = payload
        }
        public var description: String { "Frame(fin: \(fin), opcode: \(opcode), \(payload.count) bytes)" }
        public var text: String { String(decoding: payload, as: UTF8.self) }
        /// The close code of a close frame.
        public var closeCode: UInt16? {
            opcode == 8 && payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
        }
    }

    /// Connects and completes the upgrade; `response` keeps the server's HTTP response head.
    public private(set) var response = ""

    public init(port: UInt16, path: String = "/", extraHeaders: [String] = []) throws {
        connection = try TestClient(port: port)
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for header in extraHeaders { request += header + "\r\n" }
        request += "\r\n"
        try connection.send(request)
        response = try Self.readHead(connection)
    }

    static func readHead(_ connection: TestClient) throws -> String {
        var head: [UInt8] = []
        while !(head.count >= 4 && Array(head.suffix(4)) == [13, 10, 13, 10]) {
            head += try connection.receive(exactly: 1)
        }
        return String(decoding: head, as: UTF8.self)
    }

    /// A masked client frame.
    public static func frame(
        opcode: UInt8, payload: [UInt8], fin: Bool = true, mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
    ) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            bytes.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            bytes += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            bytes.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        bytes += mask
        for (index, byte) in payload.enumerated() { bytes.append(byte ^ mask[index & 3]) }
        return bytes
    }

    public func send(text: String) throws { try connection.send(Self.frame(opcode: 1, payload: Array(text.utf8))) }
    public func send(binary: [UInt8]) throws { try connection.send(Self.frame(opcode: 2, payload: binary)) }

    /// Reads one server frame (server frames are never masked).
    public func receiveFrame() throws -> Frame {
        let head = try connection.receive(exactly: 2)
        var length = Int(head[1] & 0x7F)
        if length == 126 {
            let extended = try connection.receive(exactly: 2)
            length = Int(extended[0]) << 8 | Int(extended[1])
        } else if length == 127 {
            let extended = try connection.receive(exactly: 8)
            length = extended.reduce(0) { $0 << 8 | Int($1) }
        }
        let payload = try connection.receive(exactly: length)
        return Frame(fin: head[0] & 0x80 != 0, opcode: head[0] & 0x0F, payload: payload)
    }
}
