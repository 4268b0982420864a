// libFuzzer target for WebSocketDecoder. The first input byte picks how the rest is fed and with
// which options: bits 0–5 the chunk size (1–64 bytes), bit 6 the workerman preset, bit 7 a 300-byte
// message limit. Every input is decoded twice, in chunks and whole, and the two must agree: same
// messages, same control frames, same error. The decoder contract is checked on every step.
//
//   swift build --product FuzzWebSocketDecoder --sanitize=fuzzer --sanitize=address \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --scratch-path .build-fuzz
//
// The extra `-Xswiftc -sanitize=fuzzer,address` matters: swiftc keeps only the last `-sanitize=`
// option, and SwiftPM passes its two sanitizers in no fixed order, so without it about half the
// builds have no coverage instrumentation (libFuzzer then reports "3 inline 8-bit counters").
//   .build-fuzz/debug/FuzzWebSocketDecoder -max_total_time=60
//
// Without FUZZING this builds a replayer: `FuzzWebSocketDecoder crash-file...`.
import RingGateCodecs

#if !FUZZING
    import Foundation
#endif

/// What a decoder made of a stream.
struct Outcome: Equatable {
    var messages: [[UInt8]] = []
    var messageOpcodes: [WebSocketOpcode?] = []
    var controls: [[UInt8]] = []
    var controlOpcodes: [WebSocketOpcode] = []
    var error: ProtocolError? = nil
}

/// Decodes `wire` fed in chunks of `chunkSize`, checking the contract of every step.
func decode(_ wire: [UInt8], chunkSize: Int, options: WebSocketDecoder.Options) -> Outcome {
    var decoder = WebSocketDecoder()
    var outcome = Outcome()
    var message: [UInt8] = []
    var control: [UInt8] = []
    var start = 0
    repeat {
        var chunk = Array(wire[start..<min(start + chunkSize, wire.count)])
        start += chunkSize
        let count = chunk.count
        var span = chunk.mutableSpan
        var offset = 0
        var stalls = 0
        while true {
            let step: DecodeStep
            do {
                step = try decoder.decode(&span, from: offset, options: options)
            } catch {
                precondition([1002, 1007, 1009].contains(error.closeCode), "unexpected close code \(error)")
                outcome.error = error
                return outcome
            }
            switch step.event {
            case .needMoreInput:
                precondition(step.nextOffset == count, "needMoreInput before the end of the input")
            case .messageBytes(let range, let isMessageEnd):
                precondition(
                    range.lowerBound >= offset && range.upperBound <= count && step.nextOffset == range.upperBound)
                for index in range { message.append(span[index]) }
                precondition(message.count <= max(options.maxMessageLength, 0), "message over the limit")
                if isMessageEnd {
                    if options.validateUTF8 && decoder.messageOpcode == .text {
                        precondition(String(validating: message, as: UTF8.self) != nil, "invalid UTF-8 text delivered")
                    }
                    outcome.messages.append(message)
                    outcome.messageOpcodes.append(decoder.messageOpcode)
                    message = []
                }
            case .controlBytes(let range, let opcode, let isFrameEnd):
                precondition(
                    range.lowerBound >= offset && range.upperBound <= count && step.nextOffset == range.upperBound)
                for index in range { control.append(span[index]) }
                precondition(control.count <= 125, "control payload over 125 bytes")
                if isFrameEnd {
                    if opcode == .close {
                        let reply = WebSocketClose.reply(toClosePayload: control.span, strict: true)
                        precondition(
                            reply.code == 1000 || reply.code == 1002 || reply.code == 1007
                                || reply.code == reply.receivedCode)
                        _ = WebSocketClose.frame(code: reply.code)
                    }
                    if opcode == .ping { _ = WebSocketFrameEncoder.frame(opcode: .pong, payload: control) }
                    outcome.controls.append(control)
                    outcome.controlOpcodes.append(opcode)
                    control = []
                }
            }
            if case .needMoreInput = step.event { break }
            stalls = step.nextOffset == offset ? stalls + 1 : 0
            precondition(stalls < 2, "decoder makes no progress")
            offset = step.nextOffset
        }
    } while start < wire.count
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let selector = bytes[0]
    let wire = Array(bytes.dropFirst())
    var options: WebSocketDecoder.Options = selector & 0x40 != 0 ? .workerman : .rfc6455
    if selector & 0x80 != 0 { options.maxMessageLength = 300 }
    let chunked = decode(wire, chunkSize: Int(selector & 0x3F) + 1, options: options)
    let whole = decode(wire, chunkSize: max(wire.count, 1), options: options)
    precondition(chunked == whole, "chunked and whole decoding disagree")
    return 0
}

#if !FUZZING
    /// Replays the files named on the command line through `fuzz`, so crashes reproduce in a debugger
    /// and a plain `swift build` links.
    @main struct Replay {
        static func main() {
            for path in CommandLine.arguments.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else {
                    print("cannot read \(path)")
                    continue
                }
                let bytes = [UInt8](data)
                _ = bytes.withUnsafeBufferPointer { buffer in
                    buffer.baseAddress.map { fuzz($0, buffer.count) } ?? 0
                }
                print("replayed \(path) (\(bytes.count) bytes)")
            }
        }
    }
#endif
