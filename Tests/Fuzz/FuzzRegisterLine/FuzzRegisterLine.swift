import FuzzSupport
import RingGateCodecs

/// Decodes `input` as one Register line (the Register service reads lines from any peer) and checks
/// the invariants: no trap, and a recognised message encodes to a line that decodes to the same message.
func fuzzOne(_ input: [UInt8]) {
    guard case .message(let message) = RegisterMessage.decode(line: input) else { return }
    let line = message.encodedLine
    precondition(line.last == 0x0A, "an encoded Register line ends with a newline")
    let decoded = RegisterMessage.decode(line: Array(line.dropLast()))
    precondition(decoded == .message(message), "encode/decode round trip changed the message")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
