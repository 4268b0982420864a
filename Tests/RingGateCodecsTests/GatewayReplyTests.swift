import RingGateCodecs
import Testing

@Suite struct GatewayReplyTests {
    /// §10.2: three pipelined queries (11, 24, 26) answered back to back.
    static let pipelined =
        hex("00000004") + utf8("i:1;") + hex("00000004") + utf8("i:2;")
        + hex("00000006") + utf8("a:0:{}")

    @Test func encodesTheLabReplies() {
        #expect(GatewayReply.encoded(payload: utf8("i:1;")) == hex("00000004") + utf8("i:1;"))
        let sessions = utf8(#"a:1:{i:1;s:43:"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}";}"#)
        #expect(GatewayReply.encoded(payload: sessions).prefix(4) == [0, 0, 0, 0x3D])
        var buffer: [UInt8] = []
        for payload in ["i:1;", "i:2;", "a:0:{}"] { GatewayReply.encode(payload: utf8(payload).span, into: &buffer) }
        #expect(buffer == Self.pipelined)
    }

    @Test func decodesPipelinedRepliesAcrossEverySplit() throws {
        let wire = Self.pipelined
        for cut in 0...wire.count {
            var assembler = GatewayReplyAssembler()
            var replies: [[UInt8]] = []
            for part in [Array(wire[..<cut]), Array(wire[cut...])] {
                assembler.append(part)
                while let reply = try assembler.nextReply() { replies.append(reply) }
            }
            #expect(replies == [utf8("i:1;"), utf8("i:2;"), utf8("a:0:{}")], "split at \(cut)")
            #expect(assembler.bufferedByteCount == 0)
        }
    }

    @Test func refusesRepliesAboveTheLimitBeforeTheyArrive() throws {
        var assembler = GatewayReplyAssembler(maxReplyLength: 6)
        assembler.append(hex("00000006") + utf8("a:0:{}") + hex("00000007"))
        #expect(try assembler.nextReply() == utf8("a:0:{}"))
        #expect(throws: GatewayProtocolError.replyTooLarge(length: 7, limit: 6)) { try assembler.nextReply() }
    }

    @Test func zeroLengthReplyIsAnEmptyPayload() throws {
        var assembler = GatewayReplyAssembler()
        assembler.append(hex("00000000"))
        #expect(try assembler.nextReply() == [])
    }
}
