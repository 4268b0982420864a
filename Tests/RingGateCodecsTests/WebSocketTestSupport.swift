import RingGateCodecs
import Testing

/// What a decoder made of a byte stream: the whole messages, the whole control frames and the
/// error that stopped it, if any. Built by `decodeWebSocket(_:options:)`.
struct DecodedStream: Equatable, CustomStringConvertible {
    struct Message: Equatable {
        var opcode: WebSocketOpcode?
        var payload: [UInt8]
    }

    struct Control: Equatable {
        var opcode: WebSocketOpcode
        var payload: [UInt8]
    }

    var messages: [Message] = []
    var controls: [Control] = []
    var error: ProtocolError? = nil
    /// Payload of the message still in progress when the input ended.
    var pendingMessageBytes: [UInt8] = []
    /// Number of `.messageBytes` events, to check zero-copy delivery.
    var messageEventCount = 0

    var description: String {
        "messages: \(messages.map { ($0.opcode.map { "\($0)" } ?? "nil", $0.payload) }), controls: "
            + "\(controls.map { ("\($0.opcode)", $0.payload) }), error: \(error.map { "\($0)" } ?? "none")"
    }

    /// Messages, controls and error, without the per-chunking event count and pending bytes.
    var outcome: Outcome {
        Outcome(messages: messages, controls: controls, error: error.map { Failure($0.kind, $0.closeCode) })
    }

    struct Outcome: Equatable {
        var messages: [Message]
        var controls: [Control]
        var error: Failure?
    }
}

/// The part of a `ProtocolError` that tests pin: its kind and the close code it sends (the reason
/// text is for humans).
struct Failure: Equatable, CustomStringConvertible {
    var kind: ProtocolError.Kind
    var closeCode: UInt16

    init(_ kind: ProtocolError.Kind, _ closeCode: UInt16) {
        self.kind = kind
        self.closeCode = closeCode
    }

    var description: String { "\(kind.rawValue)/\(closeCode)" }

    static let invalidFrame = Failure(.invalidFrame, 1002)
    static let unmasked = Failure(.unmaskedFrame, 1002)
    static let tooLarge = Failure(.messageTooLarge, 1009)
    static let invalidUTF8 = Failure(.invalidUTF8, 1007)
}

/// Drives one `WebSocketDecoder` over `chunks` (each one receive buffer), looping `decode` until it
/// asks for more input, assembling `.messageBytes` pieces into messages and `.controlBytes` pieces
/// into control frames, and stopping at the first error. Checks the decoder contract on every
/// step: ranges inside the chunk and starting at the offset, `nextOffset` at the range's end, no
/// endless loop without progress.
func decodeWebSocket(
    _ chunks: [[UInt8]],
    options: WebSocketDecoder.Options = .rfc6455,
    sourceLocation: SourceLocation = #_sourceLocation
) -> DecodedStream {
    var decoder = WebSocketDecoder()
    var result = DecodedStream()
    var control: [UInt8] = []
    for chunk in chunks {
        var buffer = chunk
        var span = buffer.mutableSpan
        var offset = 0
        var callsWithoutProgress = 0
        while true {
            let step: DecodeStep
            do {
                step = try decoder.decode(&span, from: offset, options: options)
            } catch {
                result.error = error
                return result
            }
            func checkRange(_ range: Range<Int>) {
                #expect(range.lowerBound >= offset && range.upperBound <= chunk.count, sourceLocation: sourceLocation)
                #expect(step.nextOffset == range.upperBound, sourceLocation: sourceLocation)
            }
            switch step.event {
            case .needMoreInput:
                #expect(step.nextOffset == chunk.count, sourceLocation: sourceLocation)
            case .messageBytes(let range, let isMessageEnd):
                checkRange(range)
                result.messageEventCount += 1
                for index in range { result.pendingMessageBytes.append(span[index]) }
                if isMessageEnd {
                    result.messages.append(.init(opcode: decoder.messageOpcode, payload: result.pendingMessageBytes))
                    result.pendingMessageBytes = []
                }
            case .controlBytes(let range, let opcode, let isFrameEnd):
                checkRange(range)
                for index in range { control.append(span[index]) }
                if isFrameEnd {
                    result.controls.append(.init(opcode: opcode, payload: control))
                    control = []
                }
            }
            if case .needMoreInput = step.event { break }
            callsWithoutProgress = step.nextOffset == offset ? callsWithoutProgress + 1 : 0
            if callsWithoutProgress > 1 {
                Issue.record("decoder made no progress at offset \(offset)", sourceLocation: sourceLocation)
                return result
            }
            offset = step.nextOffset
        }
    }
    return result
}

/// Every way the tests feed a wire: whole, one byte at a time, and split in two at every offset.
/// Wires longer than `everySplitLimit` are split only around their first and last 16 bytes and in
/// the middle (every offset of a 64 KiB frame would take minutes and test nothing new).
func chunkings(of wire: [UInt8], everySplitLimit: Int = 4096) -> [(name: String, chunks: [[UInt8]])] {
    var result: [(name: String, chunks: [[UInt8]])] = [("whole", [wire]), ("byte by byte", wire.map { [$0] })]
    guard wire.count > 1 else { return result }
    var cuts = Array(1..<wire.count)
    if wire.count > everySplitLimit {
        cuts = Array(1...16) + [wire.count / 2] + Array((wire.count - 16)..<wire.count)
    }
    for cut in cuts { result.append(("split at \(cut)", [Array(wire[..<cut]), Array(wire[cut...])])) }
    return result
}

/// Decodes `wire` in every chunking and expects the same messages, control frames and error.
func expectEveryChunking(
    _ wire: [UInt8],
    options: WebSocketDecoder.Options = .rfc6455,
    messages: [DecodedStream.Message] = [],
    controls: [DecodedStream.Control] = [],
    error: Failure? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let expected = DecodedStream.Outcome(messages: messages, controls: controls, error: error)
    for (name, chunks) in chunkings(of: wire) {
        let outcome = decodeWebSocket(chunks, options: options, sourceLocation: sourceLocation).outcome
        #expect(outcome == expected, "\(name)", sourceLocation: sourceLocation)
        if outcome != expected { return }  // one failing chunking is enough to read
    }
}

/// A text message, for expectations.
func text(_ string: String) -> DecodedStream.Message { .init(opcode: .text, payload: Array(string.utf8)) }

/// A binary message, for expectations.
func binary(_ bytes: [UInt8]) -> DecodedStream.Message { .init(opcode: .binary, payload: bytes) }

/// How a test frame writes its payload length.
enum LengthForm { case minimal, extended16, extended64 }

/// The mask key of RFC 6455 §5.7's masked example.
let rfcMask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

/// A client frame as the tests need it: masked with `mask` unless it is `nil`, any first-byte bits.
func clientFrame(
    _ opcode: UInt8,
    _ payload: [UInt8],
    fin: Bool = true,
    rsv: UInt8 = 0,
    mask: [UInt8]? = rfcMask,
    length: LengthForm = .minimal
) -> [UInt8] {
    var frame: [UInt8] = [(fin ? 0x80 : 0) | rsv << 4 | opcode]
    let maskBit: UInt8 = mask == nil ? 0 : 0x80
    let form: LengthForm =
        length == .minimal
        ? (payload.count <= 125 ? .minimal : payload.count <= 0xFFFF ? .extended16 : .extended64)
        : length
    switch form {
    case .minimal:
        frame.append(maskBit | UInt8(payload.count))
    case .extended16:
        frame.append(maskBit | 126)
        frame += [UInt8(payload.count >> 8 & 0xFF), UInt8(payload.count & 0xFF)]
    case .extended64:
        frame.append(maskBit | 127)
        frame += (0..<8).map { UInt8(UInt64(payload.count) >> (56 - 8 * UInt64($0)) & 0xFF) }
    }
    guard let mask else { return frame + payload }
    frame += mask
    frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    return frame
}

/// A masked client frame carrying `string` as UTF-8.
func clientFrame(_ opcode: UInt8, _ string: String, fin: Bool = true) -> [UInt8] {
    clientFrame(opcode, Array(string.utf8), fin: fin)
}

/// A payload of `count` bytes that is not all one value (so unmasking mistakes show).
func patternPayload(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) } }
