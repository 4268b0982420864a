/// Reads the takeover format's values from a span, front to back, checking every length against the
/// bytes left before it allocates anything (see the layout in TakeoverSnapshot.swift).
///
/// It holds the position only; the span is passed to each read (a struct cannot store a `Span`
/// without the experimental lifetime annotations).
struct TakeoverReader {
    /// Longest string in a control message: reasons and version texts are short.
    static let maxStringLength = 65_536

    /// The next byte to read.
    private(set) var offset = 0
    /// The number of bytes in the span being read.
    let count: Int

    init(count: Int) { self.count = count }

    /// Bytes not yet read.
    var remaining: Int { count - offset }

    /// The next `length` bytes' positions, or `.truncated` when fewer are left.
    mutating func take(_ length: Int) throws(TakeoverSnapshotError) -> Range<Int> {
        guard length >= 0, length <= remaining else { throw .truncated }
        defer { offset += length }
        return offset..<(offset + length)
    }

    mutating func u8(_ bytes: borrowing Span<UInt8>) throws(TakeoverSnapshotError) -> UInt8 {
        bytes[try take(1).lowerBound]
    }

    mutating func u16(_ bytes: borrowing Span<UInt8>) throws(TakeoverSnapshotError) -> UInt16 {
        UInt16(truncatingIfNeeded: try integer(bytes, byteCount: 2))
    }

    mutating func u32(_ bytes: borrowing Span<UInt8>) throws(TakeoverSnapshotError) -> UInt32 {
        UInt32(truncatingIfNeeded: try integer(bytes, byteCount: 4))
    }

    mutating func u64(_ bytes: borrowing Span<UInt8>) throws(TakeoverSnapshotError) -> UInt64 {
        try integer(bytes, byteCount: 8)
    }

    /// A byte that must be 0 or 1.
    mutating func bool(_ bytes: borrowing Span<UInt8>, _ what: String) throws(TakeoverSnapshotError) -> Bool {
        switch try u8(bytes) {
        case 0: return false
        case 1: return true
        case let other: throw .invalid("\(what) is \(other), not 0 or 1")
        }
    }

    /// A u32 count of elements that take at least `minimumSize` bytes each; `.truncated` when the bytes
    /// left cannot hold that many, so a hostile count never reserves memory.
    mutating func count(_ bytes: borrowing Span<UInt8>, minimumSize: Int) throws(TakeoverSnapshotError) -> Int {
        let count = Int(try u32(bytes))
        guard count <= remaining / max(minimumSize, 1) else { throw .truncated }
        return count
    }

    /// `u32 length ‖ bytes`, at most `limit` long when given.
    mutating func bytes(
        _ bytes: borrowing Span<UInt8>, limit: Int? = nil, _ what: String = "byte string"
    ) throws(TakeoverSnapshotError) -> [UInt8] {
        let length = Int(try u32(bytes))
        if let limit, length > limit { throw .invalid("\(what) of \(length) bytes exceeds \(limit)") }
        return [UInt8](copying: bytes.extracting(try take(length)))
    }

    /// `u32 length ‖ UTF-8`, at most ``maxStringLength`` bytes.
    mutating func string(_ bytes: borrowing Span<UInt8>, _ what: String) throws(TakeoverSnapshotError) -> String {
        let utf8 = try self.bytes(bytes, limit: Self.maxStringLength, what)
        guard let text = String(validating: utf8, as: UTF8.self) else { throw .invalid("\(what) is not UTF-8") }
        return text
    }

    /// A uid or group key as the gateway stores it: `u8 kind ‖ i64` or `u8 kind ‖ bytes`, normalised
    /// (a canonical integer string is always `.int`) and not falsy (`""`, `0`: the gateway refuses those).
    mutating func key(_ bytes: borrowing Span<UInt8>) throws(TakeoverSnapshotError) -> PHPKey {
        let key: PHPKey
        switch try u8(bytes) {
        case 0: key = .int(Int64(bitPattern: try u64(bytes)))
        case 1:
            let text = try self.bytes(bytes)
            guard PHPKey.canonicalInteger(text.span) == nil else { throw .invalid("string key is an integer") }
            key = .string(text)
        case let other: throw .invalid("key kind \(other)")
        }
        guard key != .int(0) && key != .string([]) else { throw .invalid("falsy key") }
        return key
    }

    /// Throws `.invalid` unless every byte was read.
    func expectEnd() throws(TakeoverSnapshotError) {
        guard remaining == 0 else { throw .invalid("\(remaining) trailing bytes") }
    }

    private mutating func integer(
        _ bytes: borrowing Span<UInt8>, byteCount: Int
    ) throws(TakeoverSnapshotError) -> UInt64 {
        LittleEndianBytes.read(bytes, at: try take(byteCount).lowerBound, byteCount: byteCount)
    }
}
