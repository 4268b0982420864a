/// Token readers of `PHPUnserializeParser`: keys, numbers, strings and small helpers. Each reads at
/// `position` and leaves it after what it consumed.
extension PHPUnserializeParser {
    /// An array key: `i:`, `s:` or `S:` only (PHP fails on any other key type). String keys are
    /// normalised, so `s:1:"5";` is the integer key 5.
    mutating func readKey(_ input: borrowing Span<UInt8>) -> PHPKey? {
        guard position < input.count, expect(input, ":", at: position + 1) else { return nil }
        let tag = input[position]
        position += 2
        switch tag {
        case UInt8(ascii: "i"):
            return readInteger(input).map { .int($0) }
        case UInt8(ascii: "s"), UInt8(ascii: "S"):
            return readString(input, escaped: tag == UInt8(ascii: "S")).map { PHPKey(normalizing: $0) }
        default:
            return nil
        }
    }

    /// `[+-]?[0-9]+;` saturating at the `Int64` bounds like PHP's `parse_iv2`.
    mutating func readInteger(_ input: borrowing Span<UInt8>) -> Int64? {
        let digitsStart = position + (position < input.count && Self.isSign(input[position]) ? 1 : 0)
        guard digitsStart < input.count, Self.isDigit(input[digitsStart]) else { return nil }
        let value = readSignedLoosely(input)
        guard expect(input, ";", at: position) else { return nil }
        position += 1
        return value
    }

    /// PHP's `parse_iv2`: an optional sign and any number of digits (even none, which is 0),
    /// saturating at the `Int64` bounds. Leaves `position` after the digits.
    mutating func readSignedLoosely(_ input: borrowing Span<UInt8>) -> Int64? {
        var negative = false
        if position < input.count && Self.isSign(input[position]) {
            negative = input[position] == UInt8(ascii: "-")
            position += 1
        }
        var magnitude: UInt64 = 0
        var saturated = false
        while position < input.count && Self.isDigit(input[position]) {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(input[position] - UInt8(ascii: "0")))
            if overflow1 || overflow2 { saturated = true } else { magnitude = sum }
            position += 1
        }
        let limit = UInt64(Int64.max) + (negative ? 1 : 0)
        if saturated || magnitude > limit { return negative ? Int64.min : Int64.max }
        if negative { return magnitude == limit ? Int64.min : -Int64(magnitude) }
        return Int64(magnitude)
    }

    /// `[0-9]+` as an `Int`; nil when there is no digit or the number does not fit (PHP would wrap
    /// it, which no honest producer relies on).
    mutating func readUnsigned(_ input: borrowing Span<UInt8>) -> Int? {
        let start = position
        var value = 0
        while position < input.count && Self.isDigit(input[position]) {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(input[position] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            position += 1
        }
        return position > start ? value : nil
    }

    /// `len:"bytes";` (after `s:`) or, `escaped`, the `S:` form where `\hh` is one byte. The length
    /// is checked against the remaining input before anything is copied.
    mutating func readString(_ input: borrowing Span<UInt8>, escaped: Bool) -> [UInt8]? {
        guard let length = readUnsigned(input), expect(input, ":", at: position),
            expect(input, "\"", at: position + 1)
        else { return nil }
        position += 2
        guard length <= input.count - position else { return nil }
        var bytes: [UInt8]
        if !escaped {
            bytes = copy(input, position..<(position + length))
            position += length
        } else {
            bytes = []
            bytes.reserveCapacity(length)
            for _ in 0..<length {
                guard position < input.count else { return nil }
                if input[position] != UInt8(ascii: "\\") {
                    bytes.append(input[position])
                    position += 1
                    continue
                }
                guard position + 2 < input.count, let high = Self.hexValue(input[position + 1]),
                    let low = Self.hexValue(input[position + 2])
                else { return nil }
                bytes.append(high << 4 | low)
                position += 3
            }
        }
        guard expect(input, "\"", at: position), expect(input, ";", at: position + 1) else { return nil }
        position += 2
        return bytes
    }

    func expect(_ input: borrowing Span<UInt8>, _ ascii: Unicode.Scalar, at offset: Int) -> Bool {
        offset < input.count && input[offset] == UInt8(ascii: ascii)
    }

    func copy(_ input: borrowing Span<UInt8>, _ range: Range<Int>) -> [UInt8] {
        var bytes: [UInt8] = []
        GatewayBytes.append(input.extracting(range), to: &bytes)
        return bytes
    }

    func opaque(_ kind: PHPOpaqueValue.Kind, _ input: borrowing Span<UInt8>, from start: Int) -> PHPValue {
        .opaque(PHPOpaqueValue(kind: kind, bytes: copy(input, start..<position)))
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isSign(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
