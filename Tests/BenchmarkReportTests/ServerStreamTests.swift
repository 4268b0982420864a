import Testing

@testable import LoadGenerator

@Suite(.timeLimit(.minutes(1)))
struct ServerStreamTests {
    enum Seen: Equatable {
        case handshake, failed, message(UInt64, UInt8), close
    }

    static func feed(_ wire: [UInt8], splitAt cut: Int?) -> [Seen] {
        var stream = ServerStream(framing: .websocket)
        var seen: [Seen] = []
        let parts = cut.map { [Array(wire[..<$0]), Array(wire[$0...])] } ?? [wire]
        for part in parts {
            part.withUnsafeBytes { bytes in
                stream.consume(bytes, framing: .websocket, messageSize: 70) { event in
                    switch event {
                    case .handshakeCompleted: seen.append(.handshake)
                    case .handshakeFailed: seen.append(.failed)
                    case .message(let prefix, let length): seen.append(.message(prefix, length))
                    case .closeFrame: seen.append(.close)
                    case .ping: break
                    }
                }
            }
        }
        return seen
    }

    @Test func handshakeThenFramesAcrossEverySplit() {
        let response = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".utf8)
        let round = Array("00000042".utf8) + [UInt8](repeating: 120, count: 200)  // 16-bit length frame
        let wire = response + [0x81, 126, 0, UInt8(round.count)] + round + [0x82, 2, 65, 66] + [0x88, 0]
        let expected: [Seen] = [
            .handshake, .message(Array("00000042".utf8).reversed().reduce(0) { $0 << 8 | UInt64($1) }, 8),
            .message(0x4241, 2), .close,
        ]
        #expect(Self.feed(wire, splitAt: nil) == expected)
        for cut in 1..<wire.count { #expect(Self.feed(wire, splitAt: cut) == expected, "split at \(cut)") }
    }

    @Test func aRefusedUpgradeIsAHandshakeFailure() {
        let wire = Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8)
        #expect(Self.feed(wire, splitAt: nil) == [.failed])
    }

    @Test func roundNumbersAreEightASCIIDigits() {
        let prefix = Array("00000042".utf8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(GeneratorEngine.roundNumber(prefix: prefix, length: 8) == 42)
        #expect(GeneratorEngine.roundNumber(prefix: 0x7878_7878_7878_7878, length: 8) == nil)
        #expect(GeneratorEngine.roundNumber(prefix: prefix, length: 7) == nil)
    }

    @Test func reportLinesRoundTrip() {
        let line = ReportLine(word: "connected", fields: ["established": 17000, "errno": 0])
        #expect(ReportLine(parsing: Substring(line.text)) == line)
    }
}
