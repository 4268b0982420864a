import RingGateCodecs

/// What a streaming decoder made of a sequence of inputs, with its pieces reassembled per message.
///
/// Equality compares what a connection would observe (messages, control frames, the unfinished tail,
/// the error), not how the bytes were cut into events, so decodings of different chunkings of the same
/// wire can be compared directly.
public struct DecodeOutcome: Equatable {
    /// A complete unit the caller would act on.
    public enum Item: Equatable {
        /// A data message: its pieces concatenated.
        case message([UInt8])
        /// A WebSocket control frame's payload: its pieces concatenated.
        case control(WebSocketOpcode, [UInt8])
    }

    /// Complete messages and control frames, in the order they ended.
    public var items: [Item] = []
    /// Bytes of a message that had not ended when the inputs ran out (empty when none); dropped on error.
    public var unfinished: [UInt8] = []
    /// The error the decoder threw, after which decoding stopped.
    public var error: ProtocolError? = nil
    /// How many events each complete message took; not part of equality.
    public var eventsPerMessage: [Int] = []

    /// The data messages among ``items``.
    public var messages: [[UInt8]] {
        items.compactMap { item in
            if case .message(let bytes) = item { bytes } else { nil }
        }
    }

    /// The outcome as a framing reference model describes it: messages, unfinished tail, error kind.
    public var framed: FramedStream {
        FramedStream(messages: messages, unfinished: unfinished, error: error?.kind)
    }

    public static func == (lhs: DecodeOutcome, rhs: DecodeOutcome) -> Bool {
        lhs.items == rhs.items && lhs.unfinished == rhs.unfinished && lhs.error == rhs.error
    }
}

/// What a connection observes of a framed (Text, length-field) stream, as a reference model computes it.
public struct FramedStream: Equatable {
    public var messages: [[UInt8]]
    public var unfinished: [UInt8]
    public var error: ProtocolError.Kind?

    public init(messages: [[UInt8]] = [], unfinished: [UInt8] = [], error: ProtocolError.Kind? = nil) {
        self.messages = messages
        self.unfinished = unfinished
        self.error = error
    }
}

/// The parts of the ``DecodeStep`` contract that differ between decoders. The rest is checked for every
/// decoder: `nextOffset` never goes back nor past the input, `.needMoreInput` only at the end of the
/// input, every piece lies inside the bytes its step consumed, and every event consumes at least one byte.
public struct DecodeContract: Sendable {
    /// `.controlBytes` may occur (WebSocket).
    public var allowsControlFrames: Bool
    /// A piece that does not end its message may be empty (WebSocket: an empty non-final frame).
    public var allowsEmptyPieces: Bool
    /// Every piece ends at its step's `nextOffset` (WebSocket: nothing is consumed after payload).
    public var piecesEndAtNextOffset: Bool

    /// Text and length-field framing: messages only, never an empty unfinished piece.
    public static let framing = DecodeContract(
        allowsControlFrames: false, allowsEmptyPieces: false, piecesEndAtNextOffset: false)
    /// WebSocket frames.
    public static let webSocket = DecodeContract(
        allowsControlFrames: true, allowsEmptyPieces: true, piecesEndAtNextOffset: true)
}

/// Feeds chunked inputs to any streaming client decoder, traps (for libFuzzer to report) whenever a
/// step breaks the ``DecodeStep`` contract, and reassembles the pieces.
public enum FuzzDecoding {
    /// One decoder call on the input from an offset, e.g. `{ decoder, input, offset throws(ProtocolError) in
    /// try decoder.decode(&input, from: offset, options: options) }`.
    public typealias Step<Decoder> = (inout Decoder, inout MutableSpan<UInt8>, Int) throws(ProtocolError) -> DecodeStep

    /// `wire` cut into inputs of `size` bytes (the last may be shorter; none when `wire` is empty).
    public static func chunks(of wire: [UInt8], size: Int) -> [[UInt8]] {
        stride(from: 0, to: wire.count, by: size).map { Array(wire[$0..<min($0 + size, wire.count)]) }
    }

    /// Feeds `chunks` in order to `decoder`, each until it reports `.needMoreInput`, checking every step
    /// against the contract, and reassembles messages and control frames until the first error.
    ///
    /// Piece bytes are read from the input after the call, so decoders that transform their input in
    /// place (WebSocket unmasking) are observed correctly. `onPiece` sees each message or control piece
    /// with the decoder after the step and the bytes of its message or control frame so far.
    public static func run<Decoder>(
        _ chunks: [[UInt8]],
        decoder initial: Decoder,
        contract: DecodeContract,
        step decode: Step<Decoder>,
        onPiece: (Decoder, DecodeEvent, _ soFar: [UInt8]) -> Void = { _, _, _ in }
    ) -> DecodeOutcome {
        var decoder = initial
        var outcome = DecodeOutcome()
        var message: [UInt8] = []
        var messageEvents = 0
        var control: [UInt8] = []
        for chunk in chunks {
            var bytes = chunk
            var input = bytes.mutableSpan
            var offset = 0
            while true {
                let step: DecodeStep
                do {
                    step = try decode(&decoder, &input, offset)
                } catch {
                    outcome.error = error
                    outcome.unfinished = []
                    return outcome
                }
                precondition(step.nextOffset >= offset && step.nextOffset <= input.count, "nextOffset out of bounds")
                switch step.event {
                case .needMoreInput:
                    precondition(step.nextOffset == input.count, "needMoreInput before the end of the input")
                case .messageBytes(let range, let isMessageEnd):
                    checkPiece(range, isEnd: isMessageEnd, offset: offset, step: step, contract: contract)
                    for index in range { message.append(input[index]) }
                    messageEvents += 1
                    onPiece(decoder, step.event, message)
                    if isMessageEnd {
                        outcome.items.append(.message(message))
                        outcome.eventsPerMessage.append(messageEvents)
                        message = []
                        messageEvents = 0
                    }
                case .controlBytes(let range, let opcode, let isFrameEnd):
                    precondition(contract.allowsControlFrames, "control frame from a decoder without them")
                    checkPiece(range, isEnd: isFrameEnd, offset: offset, step: step, contract: contract)
                    for index in range { control.append(input[index]) }
                    onPiece(decoder, step.event, control)
                    if isFrameEnd {
                        outcome.items.append(.control(opcode, control))
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

    /// Decodes `wire` whole and in chunks of `chunkSize`, each with a fresh copy of `decoder`, and traps
    /// unless both observe `expected` and, fed whole, every message arrives in one event (deliverable
    /// without a copy). Returns the whole decoding.
    public static func checkFraming<Decoder>(
        _ wire: [UInt8],
        chunkSize: Int,
        expected: FramedStream,
        decoder: Decoder,
        step decode: Step<Decoder>
    ) -> DecodeOutcome {
        let whole = run([wire], decoder: decoder, contract: .framing, step: decode)
        let chunked = run(chunks(of: wire, size: chunkSize), decoder: decoder, contract: .framing, step: decode)
        precondition(whole.framed == expected, "whole input differs from the reference")
        precondition(chunked.framed == expected, "chunked input differs from the reference")
        precondition(
            whole.eventsPerMessage.allSatisfy { $0 == 1 }, "a message lying whole in one input took several events")
        return whole
    }

    /// Checks one message or control piece against the contract.
    private static func checkPiece(
        _ range: Range<Int>,
        isEnd: Bool,
        offset: Int,
        step: DecodeStep,
        contract: DecodeContract
    ) {
        precondition(
            range.lowerBound >= offset && range.upperBound <= step.nextOffset, "piece outside the consumed bytes")
        precondition(step.nextOffset > offset, "event without progress")
        precondition(isEnd || !range.isEmpty || contract.allowsEmptyPieces, "empty unfinished piece")
        precondition(
            !contract.piecesEndAtNextOffset || range.upperBound == step.nextOffset, "piece ends before nextOffset")
    }
}
