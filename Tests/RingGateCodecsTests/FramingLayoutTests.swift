import RingGateCodecs
import Testing

/// Decoders live in every connection's record, so their size is part of the per-connection cost.
@Suite("Framing decoder sizes")
struct FramingLayoutTests {
    @Test func decodersFitSixteenBytes() {
        let sizes = [
            "TextDecoder": MemoryLayout<TextDecoder>.size,
            "LengthFieldDecoder": MemoryLayout<LengthFieldDecoder>.size,
            "RawDecoder": MemoryLayout<RawDecoder>.size,
        ]
        print("decoder sizes (bytes):", sizes.sorted { $0.key < $1.key })
        #expect(MemoryLayout<TextDecoder>.size == 8)
        #expect(MemoryLayout<LengthFieldDecoder>.size <= 16)
        #expect(MemoryLayout<RawDecoder>.size == 0)
    }
}
