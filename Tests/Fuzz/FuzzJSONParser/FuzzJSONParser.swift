import FuzzSupport
import RingGateCodecs

/// Parses `input` as JSON (ext_data of send, batch and SELECT commands comes from workers) and checks
/// the invariants: no trap at any depth limit, and a parsed document written back (both escaping styles)
/// parses to an equal value.
func fuzzOne(_ input: [UInt8]) {
    let depth = input.first.map { Int($0 % 32) + 1 } ?? 1
    for maxDepth in [JSONParser.defaultMaxDepth, depth] {
        guard let value = JSONParser.parse(input, maxDepth: maxDepth) else { continue }
        for (slashes, nonASCII) in [(true, true), (false, false)] {
            let written = JSONWriter.encode(value, escapesSlashes: slashes, escapesNonASCII: nonASCII)
            guard let again = JSONParser.parse(written, maxDepth: maxDepth) else {
                preconditionFailure("written JSON must parse: \(String(decoding: written, as: UTF8.self))")
            }
            precondition(again == value, "write/parse round trip changed the value")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
