import Synchronization
import Testing

@testable import RingGateCodecs

/// Parsers reachable before authentication (the auth packet's body) must stay linear in their input.
@Suite struct ParserGrowthTests {
    /// `a:N:{i:0;` nested 4,096 deep, each level declaring as many entries as the rest of 1 MB allows:
    /// reserving `remaining / 6` entries per level reserved ~36 GB of address space from one packet.
    @Test func nestedArraysReserveAtMostOneEntryPerSixInputBytes() {
        let total = 1_000_000
        var bytes: [UInt8] = []
        for _ in 0..<PHPUnserializer.defaultMaxDepth { bytes += Array("a:\(total / 3 - bytes.count):{i:0;".utf8) }
        bytes += Array(repeating: UInt8(ascii: "N"), count: total - bytes.count)
        var parser = PHPUnserializeParser(maxDepth: PHPUnserializer.defaultMaxDepth)
        #expect(parser.run(bytes.span) == nil)
        #expect(parser.reservedEntries > 0)
        #expect(parser.reservedEntries <= bytes.count / 6)
    }

    /// A 250,000-element JSON array (500 kB, one auth packet) parses; each element used to copy the
    /// array (quadratic: minutes). The wait is bounded far above the linear cost, so a hang fails.
    @Test func longJSONArrayParsesInLinearTime() async throws {
        let count = 250_000
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for index in 0..<count {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "1"))
        }
        bytes.append(UInt8(ascii: "]"))
        let input = bytes
        let parsed = ParsedCount()
        Task.detached {
            if case .array(let elements)? = JSONParser.parse(input.span) {
                parsed.count.withLock { $0 = elements.count }
            }
        }
        var first: Int? = nil
        for _ in 0..<600 where first == nil {
            try await Task.sleep(for: .milliseconds(50))
            first = parsed.count.withLock { $0 }
        }
        #expect(first == count, "parsed within 30 s (the linear parse takes well under a second)")
    }
}

/// The element count a background parse found, nil until it finishes.
private final class ParsedCount: Sendable {
    let count = Mutex<Int?>(nil)
}
