/// Streaming decoder of a ``LengthFieldFraming``: finds frame boundaries and reports message bytes.
///
/// It holds no bytes, only the integers needed to resume: how many header bytes were seen and the
/// length value folded from them so far, then how many bytes of the frame remain. When the header is
/// kept (``LengthFieldFraming/stripHeader`` false) and split across inputs, its bytes are reported as
/// message pieces as they arrive, since they are message bytes; nothing has to be stored. Lengths
/// come from the peer, so every computation on them is checked, nothing is allocated from them, and
/// limits are enforced as soon as the length field is complete, before any payload is read.
public struct LengthFieldDecoder: Equatable, Sendable {
    /// Where in a frame the decoder is.
    enum Phase: Equatable, Sendable {
        /// Reading the header: `bytesSeen` of it were consumed, `fieldValue` folds the length bytes among
        /// them. The 64-bit value comes first so the phase packs into 10 bytes, not 17.
        case header(fieldValue: UInt64, bytesSeen: UInt8)
        /// Header done: `remaining` bytes of the frame are still to come.
        case body(remaining: Int)
    }

    var phase = Phase.header(fieldValue: 0, bytesSeen: 0)

    /// A decoder at a frame boundary.
    public init() {}

    /// Finds the next piece of the current message in `input[offset...]`.
    ///
    /// A frame lying whole in the input comes out as one `.messageBytes(range, isMessageEnd: true)`;
    /// with ``LengthFieldFraming/stripHeader`` the range excludes the prefix and length field, and an
    /// empty payload is an empty range. Otherwise each call reports the frame's bytes in this input
    /// with `isMessageEnd: false`, or `.needMoreInput` when nothing reportable is left after `offset`.
    /// The input is only read; it is `inout` because every client decoder shares one calling convention.
    ///
    /// - Throws: ``ProtocolError/Kind/messageTooLarge`` when the frame would exceed
    ///   ``LengthFieldFraming/maxFrameLength`` (or its field value exceeds `Int.max`);
    ///   ``ProtocolError/Kind/invalidLength`` when `fieldValue + lengthAdjustment` is negative or the
    ///   frame is shorter than ``LengthFieldFraming/minFrameLength``. The connection must then be closed.
    public mutating func decode(
        _ input: inout MutableSpan<UInt8>,
        from offset: Int,
        options: LengthFieldFraming
    ) throws(ProtocolError) -> DecodeStep {
        let end = input.count
        precondition(offset >= 0 && offset <= end, "decode offset must lie inside the input")
        switch phase {
        case .body(let remaining):
            guard offset < end else { return DecodeStep(.needMoreInput, nextOffset: end) }
            return body(from: offset, end: end, remaining: remaining, messageStart: offset)
        case .header(var fieldValue, let bytesSeen):
            let headerLength = options.headerLength
            let fieldStart = options.lengthFieldOffset
            var position = Int(bytesSeen)
            var index = offset
            while position < headerLength && index < end {
                let fieldIndex = position - fieldStart
                if fieldIndex >= 0 {
                    let byte = UInt64(input[index])
                    switch options.endianness {
                    case .big: fieldValue = fieldValue << 8 | byte
                    case .little: fieldValue |= byte << (8 * UInt64(fieldIndex))
                    }
                }
                position += 1
                index += 1
            }
            guard position == headerLength else {
                phase = .header(fieldValue: fieldValue, bytesSeen: UInt8(position))
                if options.stripHeader || index == offset { return DecodeStep(.needMoreInput, nextOffset: end) }
                return DecodeStep(.messageBytes(offset..<end, isMessageEnd: false), nextOffset: end)
            }
            let bytesAfterField = try Self.bytesAfterField(fieldValue: fieldValue, options: options)
            return body(
                from: index,
                end: end,
                remaining: bytesAfterField,
                messageStart: options.stripHeader ? index : offset
            )
        }
    }

    /// Reports `input[messageStart..<min(from + remaining, end)]` and records what is left of the frame.
    private mutating func body(from start: Int, end: Int, remaining: Int, messageStart: Int) -> DecodeStep {
        let available = end - start
        if remaining <= available {
            phase = .header(fieldValue: 0, bytesSeen: 0)
            let frameEnd = start + remaining
            return DecodeStep(.messageBytes(messageStart..<frameEnd, isMessageEnd: true), nextOffset: frameEnd)
        }
        phase = .body(remaining: remaining - available)
        if messageStart == end { return DecodeStep(.needMoreInput, nextOffset: end) }
        return DecodeStep(.messageBytes(messageStart..<end, isMessageEnd: false), nextOffset: end)
    }

    /// The number of bytes that follow the length field, after checking it against the limits.
    private static func bytesAfterField(
        fieldValue: UInt64,
        options: LengthFieldFraming
    ) throws(ProtocolError) -> Int {
        guard let value = Int(exactly: fieldValue) else { throw tooLarge(fieldValue, options) }
        let (bytesAfterField, overflow) = value.addingReportingOverflow(options.lengthAdjustment)
        guard !overflow else { throw tooLarge(fieldValue, options) }  // only a positive adjustment overflows
        guard bytesAfterField >= 0 else {
            throw ProtocolError(
                .invalidLength,
                reason: "length field \(fieldValue) with adjustment \(options.lengthAdjustment) is negative"
            )
        }
        let (frameLength, frameOverflow) = options.headerLength.addingReportingOverflow(bytesAfterField)
        guard !frameOverflow, frameLength <= options.maxFrameLength else { throw tooLarge(fieldValue, options) }
        guard frameLength >= options.minFrameLength else {
            throw ProtocolError(
                .invalidLength,
                reason: "frame length \(frameLength) is below the minimum \(options.minFrameLength)"
            )
        }
        return bytesAfterField
    }

    private static func tooLarge(_ fieldValue: UInt64, _ options: LengthFieldFraming) -> ProtocolError {
        ProtocolError(
            .messageTooLarge,
            closeCode: 1009,
            reason: "length field \(fieldValue) exceeds the frame limit \(options.maxFrameLength)"
        )
    }
}
