import Foundation
import RingGateCodecs
import Testing

/// The FuzzTakeoverSnapshot seeds are written by Tests/Fuzz/FuzzTakeoverSnapshot/make-corpus.py from the
/// documented layout, independently of the Swift writer; every one must decode, which pins the layout
/// comments to the code (and keeps the seeds useful: a refused seed would only fuzz the first check).
@Suite("Live takeover seed corpus")
struct TakeoverSeedCorpusTests {
    static let corpus =
        "/" + #filePath.split(separator: "/").dropLast(2).joined(separator: "/") + "/Fuzz/FuzzTakeoverSnapshot/corpus"

    static func seeds(_ prefix: String) throws -> [(String, [UInt8])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { $0.hasPrefix(prefix) }.sorted()
        return try names.map { ($0, Array(try Data(contentsOf: URL(fileURLWithPath: corpus + "/" + $0)))) }
    }

    @Test func snapshotSeedsDecodeAndReencodeExactly() throws {
        let seeds = try Self.seeds("snapshot-")
        #expect(seeds.count >= 4)
        for (name, bytes) in seeds {
            let snapshot = try TakeoverSnapshot(decoding: bytes.span)
            #expect(snapshot.encoded() == bytes, "\(name)")
        }
        let gatewayBytes = try #require(seeds.first { $0.0 == "snapshot-gateway" }).1
        let gateway = try TakeoverSnapshot(decoding: gatewayBytes.span)
        #expect(gateway.clients.count == 6 && gateway.uidIndex.count == 2 && gateway.groupIndex.count == 2)
    }

    @Test func messageSeedsDecodeAndReencodeExactly() throws {
        let seeds = try Self.seeds("message-")
        #expect(seeds.count == 10)
        for (name, bytes) in seeds {
            #expect(try TakeoverMessage(decoding: bytes.span).encoded() == bytes, "\(name)")
        }
    }

    @Test func decoderSeedsRestore() throws {
        let sizes = [
            HTTPHeadDecoder.snapshotByteCount, WebSocketDecoder.snapshotByteCount, TextDecoder.snapshotByteCount,
            LengthFieldDecoder.snapshotByteCount, RawDecoder.snapshotByteCount,
        ]
        let seeds = try Self.seeds("decoder-")
        #expect(seeds.count >= 5)
        for (name, bytes) in seeds {
            let kind = Int(bytes[0] & 0x07)
            let state = Array(bytes[1..<(1 + sizes[kind])])
            let restored: Bool =
                switch kind {
                case 0: HTTPHeadDecoder(snapshotBytes: state.span) != nil
                case 1: WebSocketDecoder(snapshotBytes: state.span) != nil
                case 2: TextDecoder(snapshotBytes: state.span) != nil
                case 3: LengthFieldDecoder(snapshotBytes: state.span) != nil
                default: RawDecoder(snapshotBytes: state.span) != nil
                }
            #expect(restored, "\(name)")
        }
    }
}
