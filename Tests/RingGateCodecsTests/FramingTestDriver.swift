import RingGateCodecs
import Testing

/// What a streaming decoder made of a sequence of inputs, with its pieces reassembled per message.
///
/// Equality compares what a connection would observe (messages, control frames, the unfinished
/// tail, the error), not how the bytes were cut into events, so outcomes of different chunkings of
/// the same wire can be compared directly.
struct DecodeOutcome: Equatable, CustomStringConvertible {
    /// A complete unit the caller would act on.
    enum Item: Equatable {
        /// A data message: its pieces concatenated.
        case message([UInt8])
        /// A WebSocket control frame's payload: its pieces concatenated.
        case control(WebSocketOpcode, [UInt8])
    }

    /// Complete messages and control frames, in the order they ended.
    var items: [Item] = []
    /// Bytes of a message that had not ended when the inputs ran out (empty when none); dropped on error.
    var unfinished: [UInt8] = []
    /// The kind of error the decoder threw, after which decoding stopped.
    var error: ProtocolError.Kind? = nil
    /// How many events each complete item took; not part of equality.
    var eventsPerItem: [Int] = []

    /// The data messages among ``items``.
    var messages: [[UInt8]] {
        items.compactMap { item in
            if case .message(let bytes) = item { bytes } else { nil }
        }
    }

    /// Expected outcome: these messages, then optionally an error.
    init(messages: [[UInt8]] = [], unfinished: [UInt8] = [], error: ProtocolError.Kind? = nil) {
        self.items = messages.map(Item.message)
        self.unfinished = unfinished
        self.error = error
    }

    /// Expected outcome with WebSocket control frames among the messages.
    init(items: [Item], unfinished: [UInt8] = [], error: ProtocolError.Kind? = nil) {
        self.items = items
        self.unfinished = unfinished
        self.error = error
    }

    static func == (lhs: DecodeOutcome, rhs: DecodeOutcome) -> Bool {
        lhs.items == rhs.items && lhs.unfinished == rhs.unfinished && lhs.error == rhs.error
    }

    var description: String {
        let shown = items.map { item in
            switch item {
            case .message(let bytes): Self.show(bytes)
            case .control(let opcode, let bytes): "\(opcode)(\(Self.show(bytes)))"
            }
        }
        let tail = unfinished.isEmpty ? "" : " unfinished \(Self.show(unfinished))"
        return "\(shown)\(tail)\(error.map { " error \($0.rawValue)" } ?? "")"
    }

    /// `"text"` when the bytes are printable ASCII, else hex.
    static func show(_ bytes: [UInt8]) -> String {
        if bytes.allSatisfy({ (0x20..<0x7F).contains($0) }) { return "\"\(String(decoding: bytes, as: UTF8.self))\"" }
        return bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined(separator: " ")
    }
}

/// Feeds streaming decoders (``DecodeStep`` contract) with chunked inputs and reassembles their pieces.
///
/// Decoder-agnostic: a test wraps its decoder and options in a ``Decode`` closure, so the Text,
/// length-field, raw and WebSocket decoders are all driven and checked the same way. Besides
/// reassembling, the driver records an issue whenever a step breaks the contract (a range outside the
/// consumed bytes, an offset going backwards, `.needMoreInput` before the end, no progress).
enum FramingTestDriver {
    /// One decoder call: the input and the offset to continue from. Captures the decoder and its options.
    typealias Decode = (inout MutableSpan<UInt8>, Int) throws(ProtocolError) -> DecodeStep

    /// A way to cut a wire into inputs, with a label for failure messages.
    struct Chunking {
        var label: String
        var chunks: [[UInt8]]
    }

    /// Feeds `chunks` in order to `decode`, each until it reports `.needMoreInput`, and reassembles.
    ///
    /// Message bytes are read from the input after the call, so decoders that transform their input
    /// in place (WebSocket unmasking) are observed correctly.
    static func run(
        _ chunks: [[UInt8]],
        decode: Decode,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> DecodeOutcome {
        var outcome = DecodeOutcome()
        var message: [UInt8] = []
        var messageEvents = 0
        var control: [UInt8] = []
        for chunk in chunks {
            var bytes = chunk
            var input = bytes.mutableSpan
            var offset = 0
            var steps = 0
            while true {
                steps += 1
                guard steps <= 2 * chunk.count + 4 else {
                    Issue.record("decoder made no progress at offset \(offset)", sourceLocation: sourceLocation)
                    return outcome
                }
                let step: DecodeStep
                do {
                    step = try decode(&input, offset)
                } catch {
                    outcome.error = error.kind
                    outcome.unfinished = []
                    return outcome
                }
                guard step.nextOffset >= offset, step.nextOffset <= input.count else {
                    Issue.record(
                        "nextOffset \(step.nextOffset) outside \(offset)...\(input.count)",
                        sourceLocation: sourceLocation)
                    return outcome
                }
                switch step.event {
                case .needMoreInput:
                    if step.nextOffset != input.count {
                        Issue.record(
                            "needMoreInput at \(step.nextOffset) of \(input.count)", sourceLocation: sourceLocation)
                    }
                case .messageBytes(let range, let isMessageEnd):
                    guard check(range, offset: offset, step: step, input: input.count, sourceLocation) else {
                        return outcome
                    }
                    for index in range { message.append(input[index]) }
                    messageEvents += 1
                    if isMessageEnd {
                        outcome.items.append(.message(message))
                        outcome.eventsPerItem.append(messageEvents)
                        message = []
                        messageEvents = 0
                    }
                case .controlBytes(let range, let opcode, let isFrameEnd):
                    guard check(range, offset: offset, step: step, input: input.count, sourceLocation) else {
                        return outcome
                    }
                    for index in range { control.append(input[index]) }
                    if isFrameEnd {
                        outcome.items.append(.control(opcode, control))
                        outcome.eventsPerItem.append(1)
                        control = []
                    }
                }
                if case .needMoreInput = step.event { break }
                offset = step.nextOffset
            }
        }
        outcome.unfinished = message
        return outcome
    }

    /// Checks a reported range against the contract; records an issue and returns false if broken.
    private static func check(
        _ range: Range<Int>,
        offset: Int,
        step: DecodeStep,
        input count: Int,
        _ sourceLocation: SourceLocation
    ) -> Bool {
        guard range.lowerBound >= offset, range.upperBound <= step.nextOffset else {
            Issue.record(
                "range \(range) outside consumed \(offset)..<\(step.nextOffset)", sourceLocation: sourceLocation)
            return false
        }
        guard step.nextOffset > offset else {
            Issue.record("an event at \(offset) consumed nothing", sourceLocation: sourceLocation)
            return false
        }
        return true
    }

    /// The wire whole, one byte at a time, cut at every offset, and (for short wires) cut at every
    /// pair of offsets.
    static func chunkings(of wire: [UInt8]) -> [Chunking] {
        var result = [Chunking(label: "whole", chunks: [wire])]
        guard wire.count > 1 else { return result }
        result.append(Chunking(label: "byte by byte", chunks: wire.map { [$0] }))
        for cut in 1..<wire.count {
            result.append(Chunking(label: "split at \(cut)", chunks: [Array(wire[..<cut]), Array(wire[cut...])]))
        }
        guard wire.count <= 40 else { return result }
        for first in 1..<wire.count {
            for second in (first + 1)..<wire.count {
                result.append(
                    Chunking(
                        label: "split at \(first) and \(second)",
                        chunks: [Array(wire[..<first]), Array(wire[first..<second]), Array(wire[second...])]
                    )
                )
            }
        }
        return result
    }

    /// Expects every chunking of `wire` to decode to `expected`, and the whole wire to deliver each
    /// message in a single event (so it can be handed on without a copy). Reports the first failing
    /// chunking only.
    ///
    /// `makeDecode` must return a closure around a fresh decoder on every call.
    static func expectEveryChunking(
        of wire: [UInt8],
        yields expected: DecodeOutcome,
        makeDecode: () -> Decode,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for chunking in chunkings(of: wire) {
            let outcome = run(chunking.chunks, decode: makeDecode(), sourceLocation: sourceLocation)
            guard outcome == expected else {
                // One failure per wire: the other chunkings would only repeat it.
                Issue.record("\(chunking.label): got \(outcome), expected \(expected)", sourceLocation: sourceLocation)
                return
            }
            if chunking.chunks.count == 1 {
                #expect(
                    outcome.eventsPerItem.allSatisfy { $0 == 1 },
                    "whole input delivered a message in several events: \(outcome.eventsPerItem)",
                    sourceLocation: sourceLocation
                )
            }
        }
    }
}

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Bytes from hex digit pairs, spaces ignored: `hex("00 00 00 09")`. Shared by every codec test.
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }.map { UInt8(String($0), radix: 16)! }
    precondition(digits.count % 2 == 0, "hex needs an even number of digits")
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}
