// libFuzzer target for the live-takeover state format. Every input is read three ways:
// 1. as a TakeoverSnapshot: whatever decodes must re-encode to the same bytes (the format is canonical)
//    and decode equal again; then every client's restored decoder is driven over the input's last bytes,
//    with strict and lenient options, under the DecodeStep contract: a restored decoder never traps;
// 2. as a TakeoverMessage: whatever decodes must re-encode to the same bytes;
// 3. as one decoder snapshot: byte 0 picks the decoder (bits 0–2), its options (bits 3–4) and the chunk
//    size of the wire (bits 5–7); the decoder's snapshot follows, then the wire it is driven over.
//
// Build and run: `scripts/fuzz-smoke.sh 60 FuzzTakeoverSnapshot` (flags: FuzzSupport/FuzzReplay.swift).
// Seeds: corpus/, written by make-corpus.py. Without FUZZING the executable replays files given as arguments.
import FuzzSupport
import RingGateCodecs

/// Drives `decoder` over `wire` in chunks of `chunkSize` with the options `variant` (0–3) picks, checking
/// the DecodeStep contract on every step (FuzzDecoding traps when it is broken).
func drive(_ decoder: TakeoverDecoder, over wire: [UInt8], chunkSize: Int, variant: UInt8) {
    let chunks = FuzzDecoding.chunks(of: wire, size: chunkSize)
    switch decoder {
    case .webSocket(let decoder):
        var options: WebSocketDecoder.Options = variant & 1 != 0 ? .workerman : .rfc6455
        if variant & 2 != 0 { options.maxMessageLength = 300 }
        _ = FuzzDecoding.run(chunks, decoder: decoder, contract: .webSocket) {
            decoder, input, offset throws(ProtocolError) in
            try decoder.decode(&input, from: offset, options: options)
        }
    case .httpHead(let decoder):
        let options = HTTPHeadDecoder.Options(
            maxHeadLength: variant & 2 != 0 ? 64 : 16_384, acceptsAnyMethod: variant & 1 != 0)
        _ = FuzzDecoding.run(chunks, decoder: decoder, contract: .framing) {
            decoder, input, offset throws(ProtocolError) in
            try decoder.decode(input.span, from: offset, options: options)
        }
    case .text(let decoder):
        let options = TextFraming(maxMessageLength: variant & 1 != 0 ? 16 : 10_485_760)
        _ = FuzzDecoding.run(chunks, decoder: decoder, contract: .framing) {
            decoder, input, offset throws(ProtocolError) in
            try decoder.decode(&input, from: offset, options: options)
        }
    case .lengthField(let decoder):
        let options = lengthFraming[Int(variant) % lengthFraming.count]
        // The gateway adopts a length-field decoder only when it fits the listener's framing
        // (ClientShard+Adoption); one that does not, e.g. 66 header bytes seen under a 66-byte header,
        // would report an empty frame without consuming anything.
        guard decoder.isConsistent(with: options) else { return }
        _ = FuzzDecoding.run(chunks, decoder: decoder, contract: .framing) {
            decoder, input, offset throws(ProtocolError) in
            try decoder.decode(&input, from: offset, options: options)
        }
    case .raw(let decoder):
        let options = RawFraming(maxMessageLength: variant & 1 != 0 ? 3 : 65_536)
        _ = FuzzDecoding.run(chunks, decoder: decoder, contract: .framing) {
            decoder, input, offset throws(ProtocolError) in
            try decoder.decode(&input, from: offset, options: options)
        }
    }
}

/// Length-field framings a restored decoder is driven with: workerman Frame, a 2-byte prefix with a
/// little-endian u64 kept in the message, a bare u8 with a checksum byte, and a 64-byte prefix.
let lengthFraming: [LengthFieldFraming] = [
    .workermanFrame,
    try! LengthFieldFraming(
        lengthFieldOffset: 2, lengthFieldWidth: .eight, endianness: .little, lengthAdjustment: 1, stripHeader: false),
    try! LengthFieldFraming(lengthFieldWidth: .one, lengthAdjustment: 1, maxFrameLength: 40),
    try! LengthFieldFraming(lengthFieldOffset: 64, lengthFieldWidth: .two, stripHeader: false),
]

/// Reading 1: the input as a whole shard.
func fuzzSnapshot(_ input: [UInt8]) {
    guard let snapshot = try? TakeoverSnapshot(decoding: input.span) else { return }
    let encoded = snapshot.encoded()
    precondition(encoded == input, "a decoded snapshot re-encodes to other bytes")
    precondition((try? TakeoverSnapshot(decoding: encoded.span)) == snapshot, "re-encoded snapshot decodes differently")
    let wire = Array(input.suffix(48))
    for client in snapshot.clients {
        for variant: UInt8 in [0, 3] { drive(client.decoder, over: wire, chunkSize: 7, variant: variant) }
    }
}

/// Reading 2: the input as one control message.
func fuzzMessage(_ input: [UInt8]) {
    guard let message = try? TakeoverMessage(decoding: input.span) else { return }
    precondition(message.encoded() == input, "a decoded message re-encodes to other bytes")
    if case .listeners(let set) = message {
        precondition(Int(set.descriptorCount) <= TakeoverMessage.maxDescriptorsPerMessage, "listener set too large")
    }
}

/// Reading 3: byte 0 picks a decoder, its snapshot follows, then the wire.
func fuzzDecoderSnapshot(_ input: [UInt8]) {
    guard let selector = input.first else { return }
    let kind = selector & 0x07
    guard kind <= 4 else { return }
    let size = [
        HTTPHeadDecoder.snapshotByteCount, WebSocketDecoder.snapshotByteCount, TextDecoder.snapshotByteCount,
        LengthFieldDecoder.snapshotByteCount, RawDecoder.snapshotByteCount,
    ][Int(kind)]
    guard input.count >= 1 + size else { return }
    let state = Array(input[1..<(1 + size)])
    let decoder: TakeoverDecoder
    let restoredBytes: [UInt8]
    switch kind {
    case 0:
        guard let restored = HTTPHeadDecoder(snapshotBytes: state.span) else { return }
        (decoder, restoredBytes) = (.httpHead(restored), restored.snapshotBytes)
    case 1:
        guard let restored = WebSocketDecoder(snapshotBytes: state.span) else { return }
        (decoder, restoredBytes) = (.webSocket(restored), restored.snapshotBytes)
    case 2:
        guard let restored = TextDecoder(snapshotBytes: state.span) else { return }
        (decoder, restoredBytes) = (.text(restored), restored.snapshotBytes)
    case 3:
        guard let restored = LengthFieldDecoder(snapshotBytes: state.span) else { return }
        (decoder, restoredBytes) = (.lengthField(restored), restored.snapshotBytes)
    default:
        guard let restored = RawDecoder(snapshotBytes: state.span) else { return }
        (decoder, restoredBytes) = (.raw(restored), restored.snapshotBytes)
    }
    precondition(restoredBytes == state, "a restored decoder's snapshot differs from the one it came from")
    let wire = Array(input[(1 + size)...])
    drive(decoder, over: wire, chunkSize: Int(selector >> 5) + 1, variant: selector >> 3 & 0x03)
    drive(decoder, over: wire, chunkSize: max(wire.count, 1), variant: selector >> 3 & 0x03)
}

func fuzzOne(_ input: [UInt8]) {
    fuzzSnapshot(input)
    fuzzMessage(input)
    fuzzDecoderSnapshot(input)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
