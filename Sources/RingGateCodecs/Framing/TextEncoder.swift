/// Outbound side of the workerman Text protocol (`text://`, spec §8.1): message ‖ `"\n"`.
///
/// The `"\n"` is always appended, even when the message already ends with one, exactly like
/// workerman. It is a trailer, so the gateway can send the message bytes where they are and the
/// one-byte trailer next to them instead of copying the message.
public enum TextEncoder {
    /// The byte that ends every Text message: `"\n"`.
    public static let terminator: UInt8 = 0x0A
    /// `"\r"`, stripped with `"\n"` from the end of inbound messages.
    public static let carriageReturn: UInt8 = 0x0D
    /// Bytes written after each outbound message.
    public static let trailerLength = 1

    /// The encoded length of a message of `messageLength` bytes.
    public static func encodedLength(messageLength: Int) -> Int {
        messageLength + trailerLength
    }

    /// Writes the trailer at the start of `output` and returns how many bytes it wrote.
    ///
    /// `output` must have room for ``trailerLength`` bytes; the caller sizes its buffer with
    /// ``encodedLength(messageLength:)``.
    public static func writeTrailer(into output: inout MutableSpan<UInt8>) -> Int {
        precondition(output.count >= trailerLength, "output must have room for the Text trailer")
        output[0] = terminator
        return trailerLength
    }

    /// `message` ‖ `"\n"` as a new array, for paths where a copy does not matter (tests, Register).
    public static func encode(_ message: Span<UInt8>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encodedLength(messageLength: message.count))
        for index in message.indices { bytes.append(message[index]) }
        bytes.append(terminator)
        return bytes
    }
}
