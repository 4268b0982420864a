// libFuzzer target for WebSocketDecoder. The first input byte picks how the rest is fed and with
// which options: bits 0–5 the chunk size (1–64 bytes), bit 6 the workerman preset, bit 7 a 300-byte
// message limit. Every input is decoded twice, in chunks and whole, and the two must agree: same
// messages and opcodes, same control frames, same unfinished tail, same error. The decoder contract
// is checked on every step, and so are the message limit, the 125-byte control limit, UTF-8 text, the
// close code of every error and the replies to close and ping frames.
//
// Build and run: `scripts/fuzz-smoke.sh 60 FuzzWebSocketDecoder` (flags: FuzzSupport/FuzzReplay.swift).
// Without FUZZING the executable replays files (or directories of files) given as arguments.
import FuzzSupport
import RingGateCodecs

/// Decodes `chunks` with the WebSocket contract, checking the limits and the replies a connection would
/// send on every piece; returns the outcome and the opcode of each message.
func decode(_ chunks: [[UInt8]], options: WebSocketDecoder.Options) -> (DecodeOutcome, [WebSocketOpcode?]) {
    var messageOpcodes: [WebSocketOpcode?] = []
    let outcome = FuzzDecoding.run(
        chunks, decoder: WebSocketDecoder(), contract: .webSocket,
        step: { decoder, input, offset throws(ProtocolError) in
            try decoder.decode(&input, from: offset, options: options)
        },
        onPiece: { decoder, event, soFar in
            switch event {
            case .messageBytes(_, let isMessageEnd):
                precondition(soFar.count <= max(options.maxMessageLength, 0), "message over the limit")
                guard isMessageEnd else { return }
                if options.validateUTF8 && decoder.messageOpcode == .text {
                    precondition(String(validating: soFar, as: UTF8.self) != nil, "invalid UTF-8 text delivered")
                }
                messageOpcodes.append(decoder.messageOpcode)
            case .controlBytes(_, let opcode, let isFrameEnd):
                precondition(soFar.count <= 125, "control payload over 125 bytes")
                guard isFrameEnd else { return }
                if opcode == .close {
                    let reply = WebSocketClose.reply(toClosePayload: soFar.span, strict: true)
                    precondition(
                        reply.code == 1000 || reply.code == 1002 || reply.code == 1007
                            || reply.code == reply.receivedCode)
                    // A close the shard treats as bad input is one the strict reply refuses, and vice versa
                    // (except 1007 received with a bad reason, where the reply echoes the code it refuses with).
                    let problem = WebSocketClose.problem(inClosePayload: soFar.span)
                    if let problem { precondition(problem.closeCode == reply.code) }
                    if reply.code != 1000 && reply.code != reply.receivedCode { precondition(problem != nil) }
                    _ = WebSocketClose.frame(code: reply.code)
                }
                if opcode == .ping { _ = WebSocketFrameEncoder.frame(opcode: .pong, payload: soFar) }
            case .needMoreInput:
                break
            }
        })
    if let error = outcome.error {
        precondition([1002, 1007, 1009].contains(error.closeCode), "unexpected close code \(error)")
    }
    return (outcome, messageOpcodes)
}

func fuzzOne(_ bytes: [UInt8]) {
    guard let selector = bytes.first else { return }
    let wire = Array(bytes.dropFirst())
    var options: WebSocketDecoder.Options = selector & 0x40 != 0 ? .workerman : .rfc6455
    if selector & 0x80 != 0 { options.maxMessageLength = 300 }
    let chunked = decode(FuzzDecoding.chunks(of: wire, size: Int(selector & 0x3F) + 1), options: options)
    let whole = decode([wire], options: options)
    precondition(chunked == whole, "chunked and whole decoding disagree")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
