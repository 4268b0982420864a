import FuzzSupport
import RingGate

/// Built once: a table of 300 clients with sessions, uids and groups; each input starts from it.
nonisolated(unsafe) var harness = CommandLayerFuzzHarness(clientCount: 300)

/// First byte: bit 0 starts the connection authorised (otherwise the stream must begin with a
/// CMD_WORKER_CONNECT / CMD_GATEWAY_CLIENT_CONNECT carrying the secret `fuzz-secret`); bits 1–7 pick
/// the receive size (0: the whole stream in one receive, n: 1 + (n - 1) * 29 bytes per receive, so
/// packets are split and several arrive per receive). The rest is the inner byte stream.
func fuzzOne(_ data: [UInt8]) {
    guard let first = data.first else { return }
    let sizeCode = Int(first >> 1)
    let chunkSize = sizeCode == 0 ? 0 : 1 + (sizeCode - 1) * 29
    harness.run(Array(data.dropFirst()), chunkSize: chunkSize, authorised: first & 1 == 1)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
