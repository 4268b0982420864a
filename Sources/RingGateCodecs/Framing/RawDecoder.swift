/// Per-listener settings of raw TCP (`tcp://`, spec §8.4).
///
/// workerman turns every read (at most 65 535 or 87 380 bytes) into one message; RingGate's reads
/// may be larger, so a cap keeps ON_MESSAGE bodies as small as workerman's.
public struct RawFraming: Equatable, Sendable {
    /// The largest message; a longer input is cut into consecutive messages of at most this many bytes.
    /// Values below 1 are treated as 1, so the decoder always makes progress.
    public var maxMessageLength: Int

    /// Settings with the 64 KiB cap of spec §8.4.
    public init(maxMessageLength: Int = 65_536) {
        self.maxMessageLength = maxMessageLength
    }
}

/// Decoder of raw TCP: no framing, every input is a message.
///
/// Message boundaries are wherever reads happened to end, as with workerman; applications frame
/// their own bytes. It is a decoder nonetheless, so the gateway drives every client protocol alike.
/// It holds no state at all.
public struct RawDecoder: Equatable, Sendable {
    /// The (stateless) decoder.
    public init() {}

    /// Reports `input[offset...]` as one message (cut at ``RawFraming/maxMessageLength``), or
    /// `.needMoreInput` when nothing is left after `offset`. Never throws an error; it is declared
    /// `throws(ProtocolError)` to share every client decoder's calling convention.
    public mutating func decode(
        _ input: inout MutableSpan<UInt8>,
        from offset: Int,
        options: RawFraming
    ) throws(ProtocolError) -> DecodeStep {
        let end = input.count
        precondition(offset >= 0 && offset <= end, "decode offset must lie inside the input")
        guard offset < end else { return DecodeStep(.needMoreInput, nextOffset: end) }
        let messageEnd = offset + min(end - offset, max(options.maxMessageLength, 1))
        return DecodeStep(.messageBytes(offset..<messageEnd, isMessageEnd: true), nextOffset: messageEnd)
    }
}
