/// Per-listener settings of the workerman Text protocol (`text://`, spec §8.1).
///
/// Kept apart from ``TextDecoder`` so a connection's record holds only the decoder's one integer,
/// while the listener holds the settings once and passes them on every call.
public struct TextFraming: Equatable, Sendable {
    /// The smallest line length, in bytes before the `"\n"`, that is refused.
    ///
    /// A line of `maxMessageLength - 1` bytes (a frame of `maxMessageLength` bytes with its `"\n"`)
    /// passes; a line that reaches `maxMessageLength` bytes fails with
    /// ``ProtocolError/Kind/messageTooLarge`` as soon as that many bytes without `"\n"` were seen,
    /// without waiting for the rest. workerman closes when its unconsumed receive buffer reaches
    /// `maxPackageSize` before it searches for `"\n"`, so its exact cut-off depends on how reads
    /// were chunked; this is the deterministic rule nearest to it. A value below 1 refuses every line.
    public var maxMessageLength: Int

    /// Settings with workerman's default limit of 10 485 760 bytes (spec §7.4).
    public init(maxMessageLength: Int = 10_485_760) {
        self.maxMessageLength = maxMessageLength
    }
}

/// Streaming decoder of the workerman Text protocol: a message ends at the first `"\n"`.
///
/// Reports the bytes before each `"\n"` as ``DecodeEvent/messageBytes(_:isMessageEnd:)``; the `"\n"`
/// itself is never reported. workerman also strips every trailing `"\r"` and `"\n"` of a message;
/// that is left to the caller, on the complete message, with ``trimmedLength(of:)``, because a
/// trailing `"\r"` may sit in an earlier buffer than the `"\n"`. The decoder holds one integer: how
/// many bytes of the current line earlier buffers carried, so it can apply the limit.
public struct TextDecoder: Equatable, Sendable {
    /// Bytes of the current, unfinished line reported from earlier inputs.
    var lineLength = 0

    /// A decoder at a message boundary.
    public init() {}

    /// Finds the next piece of the current line in `input[offset...]`.
    ///
    /// Returns `.messageBytes(range, isMessageEnd: true)` up to the next `"\n"` (which is consumed but
    /// not reported), `.messageBytes(range, isMessageEnd: false)` for the rest of the input when it
    /// holds no `"\n"`, or `.needMoreInput` when nothing is left after `offset`. The input is only
    /// read; it is `inout` because every client decoder shares one calling convention.
    ///
    /// - Throws: ``ProtocolError/Kind/messageTooLarge`` when the line reaches
    ///   ``TextFraming/maxMessageLength`` bytes without a `"\n"`. The connection must then be closed.
    public mutating func decode(
        _ input: inout MutableSpan<UInt8>,
        from offset: Int,
        options: TextFraming
    ) throws(ProtocolError) -> DecodeStep {
        let end = input.count
        precondition(offset >= 0 && offset <= end, "decode offset must lie inside the input")
        guard offset < end else { return DecodeStep(.needMoreInput, nextOffset: end) }

        // Bytes that may still be scanned, the "\n" included, before the line reaches the limit.
        let (budget, overflow) = options.maxMessageLength.subtractingReportingOverflow(lineLength)
        guard !overflow, budget > 0 else { throw Self.lineTooLong(options) }
        let scanLength = min(end - offset, budget)
        var index = offset
        while index < offset + scanLength {
            if input[index] == TextEncoder.terminator {
                lineLength = 0
                return DecodeStep(.messageBytes(offset..<index, isMessageEnd: true), nextOffset: index + 1)
            }
            index += 1
        }
        if scanLength == budget { throw Self.lineTooLong(options) }
        lineLength += scanLength
        return DecodeStep(.messageBytes(offset..<end, isMessageEnd: false), nextOffset: end)
    }

    /// The length of `message` without its trailing `"\r"` and `"\n"` bytes, all of them.
    ///
    /// workerman strips them from every message (`"c\r\r"` → `"c"`, `"\r"` → `""`, spec §8.1). The
    /// caller applies this to the complete message, because its pieces may span several inputs.
    public static func trimmedLength(of message: Span<UInt8>) -> Int {
        var length = message.count
        while length > 0 {
            let byte = message[length - 1]
            guard byte == TextEncoder.terminator || byte == TextEncoder.carriageReturn else { break }
            length -= 1
        }
        return length
    }

    private static func lineTooLong(_ options: TextFraming) -> ProtocolError {
        ProtocolError(
            .messageTooLarge,
            closeCode: 1009,
            reason: "text line reached \(options.maxMessageLength) bytes without \"\\n\""
        )
    }
}
