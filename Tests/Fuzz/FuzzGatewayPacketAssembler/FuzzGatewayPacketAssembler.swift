import FuzzSupport
import RingGateCodecs

/// Feeds `input` to a `GatewayPacketAssembler` in chunks of `chunkSize` bytes and checks its
/// invariants: every packet re-encodes to exactly the bytes it was cut from, the zero-copy and copying
/// paths agree, and after a protocol error the assembler keeps failing instead of resynchronising.
/// The small limit makes the size check reachable.
func exercise(_ input: [UInt8], chunkSize: Int) {
    var assembler = GatewayPacketAssembler(maxPackageLength: 4096, retainedCapacity: 256)
    var offset = 0
    var consumed = 0
    var failed = false
    while offset < input.count && !failed {
        let end = min(offset + chunkSize, input.count)
        assembler.append(Array(input[offset..<end]))
        offset = end
        precondition(assembler.bufferCapacity <= max(2 * input.count, 512), "buffer holds only arrived bytes")
        do {
            while let layout = try assembler.peekPacket() {
                let (extData, body) = assembler.withContents(of: layout) { ext, body in
                    (ext.indices.map { ext[$0] }, body.indices.map { body[$0] })
                }
                let copied = try assembler.nextPacket()
                precondition(copied?.extData == extData && copied?.body == body, "peek and next agree")
                let wire = Array(input[consumed..<(consumed + layout.byteCount)])
                precondition((try? copied?.encoded(maxPackageLength: 4096)) == wire, "packet re-encodes exactly")
                consumed += layout.byteCount
            }
        } catch {
            failed = true
            do {
                _ = try assembler.nextPacket()
                preconditionFailure("a failed stream keeps failing")
            } catch {}
        }
    }
    if !failed { precondition(assembler.bufferedByteCount == input.count - consumed, "nothing lost") }
}

/// First byte picks the chunk size, the rest is the stream.
func fuzzOne(_ data: [UInt8]) {
    guard let first = data.first else { return }
    exercise(Array(data.dropFirst()), chunkSize: Int(first) + 1)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
