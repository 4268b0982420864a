/// Appends the takeover format's values: little-endian integers, length-prefixed byte strings and PHP
/// keys (see the layout in TakeoverSnapshot.swift).
struct TakeoverWriter {
    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { LittleEndianBytes.append(UInt64(value), byteCount: 2, to: &bytes) }
    mutating func u32(_ value: UInt32) { LittleEndianBytes.append(UInt64(value), byteCount: 4, to: &bytes) }
    mutating func u64(_ value: UInt64) { LittleEndianBytes.append(value, byteCount: 8, to: &bytes) }
    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// A count or length as u32. Values come from this process's own tables and buffers, none of which
    /// can hold 2³² entries or bytes; a larger one is a broken invariant, not input.
    mutating func count(_ value: Int) {
        guard let count = UInt32(exactly: value) else { preconditionFailure("takeover count \(value) exceeds u32") }
        u32(count)
    }

    /// `u32 length ‖ bytes`.
    mutating func bytes(_ value: [UInt8]) {
        count(value.count)
        bytes.append(contentsOf: value)
    }

    /// Bytes already in the takeover format (a decoder snapshot), without a length.
    mutating func raw(_ value: [UInt8]) { bytes.append(contentsOf: value) }

    /// `u8 kind ‖ value`: kind 0 an integer key as i64, kind 1 a string key as `bytes`.
    mutating func key(_ value: PHPKey) {
        switch value {
        case .int(let number):
            u8(0)
            u64(UInt64(bitPattern: number))
        case .string(let text):
            u8(1)
            bytes(text)
        }
    }

    /// `u32 length ‖ UTF-8`, cut at a character boundary to at most ``TakeoverReader/maxStringLength``
    /// bytes (strings are reasons and versions for logs; a longer one would be refused whole).
    mutating func string(_ value: String) {
        var utf8 = Array(value.utf8)
        if utf8.count > TakeoverReader.maxStringLength {
            var end = TakeoverReader.maxStringLength
            while end > 0 && utf8[end] & 0xC0 == 0x80 { end -= 1 }  // not inside a multi-byte character
            utf8.removeSubrange(end...)
        }
        bytes(utf8)
    }
}
