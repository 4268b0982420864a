/// The state of one `PHPUnserializer` run, following PHP's `var_unserializer.re` step by step.
///
/// The input span is passed to every step (a span cannot be stored); the position and the stack of
/// open containers live here, so nesting costs heap, not stack.
struct PHPUnserializeParser {
    /// An array or object whose entries are being read.
    private struct Container {
        var isObject: Bool
        /// Offset of the container's first byte (objects are kept verbatim from there).
        var start: Int
        var remaining: Int
        var pendingKey: PHPKey? = nil
        var awaitingValue = false
        var array = PHPArray()
    }

    /// What reading at a value position produced.
    private enum Step {
        case value(PHPValue)
        case opened
        case invalid
    }

    private let maxDepth: Int
    /// Offset of the next byte to read.
    var position = 0
    private var open: [Container] = []
    /// Objects among `open`; inside one nothing is built, the outermost is kept as bytes.
    private var openObjects = 0
    /// PHP's `var_hash`: one slot per value read (keys and `R:` excluded), true when it holds an
    /// object. `r:N` must name an earlier object slot, `R:N` any existing slot.
    private var slotIsObject: [Bool] = []
    /// Array entries reserved so far this run (see `openArray`).
    private(set) var reservedEntries = 0

    init(maxDepth: Int) {
        self.maxDepth = maxDepth
    }

    mutating func run(_ input: borrowing Span<UInt8>) -> (value: PHPValue, byteCount: Int)? {
        while true {
            if let top = open.indices.last, !open[top].awaitingValue {
                if open[top].remaining == 0 {
                    guard expect(input, "}", at: position) else { return nil }
                    position += 1
                    let container = open.removeLast()
                    let value: PHPValue
                    if container.isObject {
                        openObjects -= 1
                        value = openObjects > 0 ? .null : opaque(.object, input, from: container.start)
                    } else {
                        value = openObjects > 0 ? .null : .array(container.array)
                    }
                    if let done = deliver(value) { return done }
                    continue
                }
                guard let key = readKey(input) else { return nil }
                open[top].pendingKey = key
                open[top].awaitingValue = true
                continue
            }
            switch readValue(input) {
            case .invalid: return nil
            case .opened: continue
            case .value(let value): if let done = deliver(value) { return done }
            }
        }
    }

    /// Stores a finished value in the innermost container, or finishes the run at top level.
    private mutating func deliver(_ value: PHPValue) -> (value: PHPValue, byteCount: Int)? {
        guard let top = open.indices.last else { return (value, position) }
        if openObjects == 0, let key = open[top].pendingKey {
            open[top].array.updateValue(value, forKey: key)
        }
        open[top].pendingKey = nil
        open[top].awaitingValue = false
        open[top].remaining -= 1
        return nil
    }

    // MARK: Values

    private mutating func readValue(_ input: borrowing Span<UInt8>) -> Step {
        guard position < input.count else { return .invalid }
        let start = position
        let tag = input[start]
        if tag != UInt8(ascii: "R") { slotIsObject.append(false) }
        let slot = slotIsObject.count
        guard tag == UInt8(ascii: "N") || expect(input, ":", at: start + 1) else { return .invalid }
        position = start + 2
        switch tag {
        case UInt8(ascii: "N"):
            guard expect(input, ";", at: start + 1) else { return .invalid }
            return .value(.null)
        case UInt8(ascii: "b"):
            guard start + 3 < input.count, input[start + 3] == UInt8(ascii: ";") else { return .invalid }
            let digit = input[start + 2]
            guard digit == UInt8(ascii: "0") || digit == UInt8(ascii: "1") else { return .invalid }
            position = start + 4
            return .value(.bool(digit == UInt8(ascii: "1")))
        case UInt8(ascii: "i"):
            guard let integer = readInteger(input) else { return .invalid }
            return .value(.int(integer))
        case UInt8(ascii: "d"):
            guard let length = PHPFloat.tokenLength(input, from: position), expect(input, ";", at: position + length)
            else { return .invalid }
            let text = copy(input, position..<(position + length))
            position += length + 1
            return .value(.float(PHPFloat(validatedText: text)))
        case UInt8(ascii: "s"), UInt8(ascii: "S"):
            guard let bytes = readString(input, escaped: tag == UInt8(ascii: "S")) else { return .invalid }
            return .value(.string(bytes))
        case UInt8(ascii: "a"):
            return openArray(input)
        case UInt8(ascii: "O"):
            guard openObject(input) else { return .invalid }
            slotIsObject[slot - 1] = true
            return .opened
        case UInt8(ascii: "C"):
            guard readCustomObject(input) else { return .invalid }
            slotIsObject[slot - 1] = true
            return .value(opaque(.customObject, input, from: start))
        case UInt8(ascii: "E"):
            guard readEnumCase(input) else { return .invalid }
            slotIsObject[slot - 1] = true
            return .value(opaque(.enumCase, input, from: start))
        case UInt8(ascii: "r"):
            // Names an earlier object, never itself; the new slot then holds that object too.
            guard let id = readUnsigned(input), expect(input, ";", at: position), id >= 1, id < slot,
                slotIsObject[id - 1]
            else { return .invalid }
            position += 1
            slotIsObject[slot - 1] = true
            return .value(opaque(.objectReference, input, from: start))
        case UInt8(ascii: "R"):
            guard let id = readUnsigned(input), expect(input, ";", at: position), id >= 1,
                id <= slotIsObject.count
            else { return .invalid }
            position += 1
            return .value(opaque(.reference, input, from: start))
        default:
            return .invalid
        }
    }

    /// `a:count:{…}` after the `a:`. The count is checked against the remaining bytes (every entry
    /// takes at least two, PHP's `IS_FAKE_ELEM_COUNT`) before anything is reserved.
    private mutating func openArray(_ input: borrowing Span<UInt8>) -> Step {
        guard let count = readUnsigned(input), expect(input, ":", at: position), expect(input, "{", at: position + 1)
        else { return .invalid }
        position += 2
        let remainingBytes = input.count - position
        guard count <= remainingBytes / 2 else { return .invalid }
        if count == 0 {  // PHP closes an empty array at once, without a depth check.
            guard expect(input, "}", at: position) else { return .invalid }
            position += 1
            return .value(.array(PHPArray()))
        }
        guard open.count < maxDepth else { return .invalid }
        var container = Container(isObject: false, start: position, remaining: count)
        if openObjects == 0 {
            // Each entry needs at least 6 bytes (`i:0;N;`), and nested arrays' entries share the
            // input's bytes, so all reservations of a run together stay within input.count / 6 entries.
            let reserve = min(count, max(0, input.count / 6 - reservedEntries))
            reservedEntries += reserve
            container.array = PHPArray(minimumCapacity: reserve)
        }
        open.append(container)
        return .opened
    }

    /// `O:len:"Class":count:{…}` after the `O:`; the object becomes an incomplete-class object in
    /// PHP, whose properties are read (and validated) like array entries.
    private mutating func openObject(_ input: borrowing Span<UInt8>) -> Bool {
        let start = position - 2
        guard let quote = readClassName(input), quote < input.count - 2 else { return false }
        position = quote + 2
        guard let count = readSignedLoosely(input), count >= 0, count <= (input.count - quote) / 2,
            expect(input, ":", at: position), expect(input, "{", at: position + 1)
        else { return false }
        position += 2
        guard open.count < maxDepth else { return false }
        open.append(Container(isObject: true, start: start, remaining: Int(count)))
        openObjects += 1
        return true
    }

    /// `C:len:"Class":len:{data}` after the `C:`; PHP keeps the data unparsed.
    private mutating func readCustomObject(_ input: borrowing Span<UInt8>) -> Bool {
        guard let quote = readClassName(input) else { return false }
        position = quote + 2
        guard let dataLength = readSignedLoosely(input), input.count - position >= 2,
            expect(input, ":", at: position), expect(input, "{", at: position + 1)
        else { return false }
        position += 2
        guard dataLength >= 0, dataLength < input.count - position,
            expect(input, "}", at: position + Int(dataLength))
        else { return false }
        position += Int(dataLength) + 1
        return true
    }

    /// `E:len:"Enum:Case";` after the `E:`. PHP then needs the enum class to exist, which only the
    /// consumer can know; the syntax is checked here.
    private mutating func readEnumCase(_ input: borrowing Span<UInt8>) -> Bool {
        guard let length = readUnsigned(input), expect(input, ":", at: position),
            expect(input, "\"", at: position + 1)
        else { return false }
        let nameStart = position + 2
        guard length > 0, length <= input.count - nameStart, expect(input, "\"", at: nameStart + length),
            expect(input, ";", at: nameStart + length + 1)
        else { return false }
        var colon: Int? = nil
        for index in nameStart..<(nameStart + length) where input[index] == UInt8(ascii: ":") {
            colon = index
            break
        }
        guard let colon, colon > nameStart else { return false }
        for index in nameStart..<colon where !Self.isClassNameByte(input[index]) { return false }
        position = nameStart + length + 2
        return true
    }

    /// `len:"Class"` followed by `:`; returns the offset of the closing quote. PHP refuses empty names,
    /// a leading `\` and bytes outside `[A-Za-z0-9_\\\x80-\xff]` when classes are disallowed.
    private mutating func readClassName(_ input: borrowing Span<UInt8>) -> Int? {
        guard let length = readUnsigned(input), expect(input, ":", at: position),
            expect(input, "\"", at: position + 1)
        else { return nil }
        let nameStart = position + 2
        guard length > 0, length <= input.count - nameStart, expect(input, "\"", at: nameStart + length),
            expect(input, ":", at: nameStart + length + 1), input[nameStart] != UInt8(ascii: "\\")
        else { return nil }
        for index in nameStart..<(nameStart + length) where !Self.isClassNameByte(input[index]) { return nil }
        return nameStart + length
    }

    private static func isClassNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "\\"), 0x80...0xFF:
            true
        default: false
        }
    }
}
