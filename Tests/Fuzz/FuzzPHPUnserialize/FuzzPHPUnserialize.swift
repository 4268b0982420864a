import FuzzSupport
import RingGateCodecs

/// Unserializes `input` and checks the invariants: no trap, and a parsed value re-serializes to bytes
/// that parse back to an equal value (for values without `r:`/`R:` references, whose numbering
/// legitimately changes when duplicate keys collapse). Input without duplicates or `S:` strings
/// must even come back byte-identical, which is checked through a second round trip. Also runs the
/// merge on two halves, which must never trap.
func fuzzOne(_ input: [UInt8]) {
    let depth = input.first.map { Int($0 % 64) + 1 } ?? 1
    for maxDepth in [PHPUnserializer.defaultMaxDepth, depth] {
        guard let value = PHPUnserializer.unserialize(input, maxDepth: maxDepth) else { continue }
        guard !value.containsReferences else { continue }
        let bytes = PHPSerializer.serialize(value)
        guard let again = PHPUnserializer.unserialize(bytes, maxDepth: maxDepth) else {
            preconditionFailure("serialize(unserialize(x)) must parse: \(String(decoding: bytes, as: UTF8.self))")
        }
        precondition(again == value, "round trip changed the value")
        precondition(PHPSerializer.serialize(again) == bytes, "second round trip is byte-identical")
    }
    let half = input.count / 2
    if let base = PHPUnserializer.unserialize(Array(input[..<half]))?.arrayValue,
        let update = PHPUnserializer.unserialize(Array(input[half...]))?.arrayValue
    {
        _ = PHPSerializer.serialize(.array(PHPArrayMerge.replaceRecursive(base, with: update)))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
