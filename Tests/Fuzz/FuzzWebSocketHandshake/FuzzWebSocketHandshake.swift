// libFuzzer target for the opening handshake: HTTPHeadDecoder, WebSocketUpgradeRequest and the
// responses. The first input byte picks how the rest is fed: bits 0–5 the chunk size (1–64 bytes),
// bit 6 a 200-byte head limit instead of 16 KiB, bit 7 any method (a listener serving an HTTPPage).
// Each input is read twice, in chunks and whole; both must find the same head and the same error. A
// complete head is parsed, offered to the page responder, judged under every validation mode and
// answered in both flavours; the bytes after it go to a WebSocketDecoder.
//
// Build and run: `scripts/fuzz-smoke.sh 60 FuzzWebSocketHandshake` (flags: FuzzSupport/FuzzReplay.swift).
// Without FUZZING the executable replays files (or directories of files) given as arguments.
import FuzzSupport
import RingGateCodecs

/// The head found in a stream, the error that stopped the search, and what followed the head.
struct HeadOutcome: Equatable {
    var head: [UInt8] = []
    var isComplete = false
    var error: ProtocolError? = nil
    var rest: [UInt8] = []
}

/// Feeds `input` in chunks of `chunkSize` to one HTTPHeadDecoder, checking every step.
func findHead(_ input: [UInt8], chunkSize: Int, options: HTTPHeadDecoder.Options) -> HeadOutcome {
    var decoder = HTTPHeadDecoder()
    var outcome = HeadOutcome()
    var start = 0
    while start < input.count {
        let end = min(start + chunkSize, input.count)
        let chunk = Array(input[start..<end])
        var offset = 0
        while true {
            let step: DecodeStep
            do {
                step = try decoder.decode(chunk.span, from: offset, options: options)
            } catch {
                precondition(error.kind == .badHandshake || error.kind == .headTooLarge, "unexpected \(error)")
                outcome.error = error
                return outcome
            }
            guard case .messageBytes(let range, let isEnd) = step.event else {
                precondition(step.event == .needMoreInput && step.nextOffset == chunk.count)
                break
            }
            precondition(
                range.lowerBound == offset && range.upperBound <= chunk.count && step.nextOffset == range.upperBound)
            outcome.head += chunk[range]
            precondition(outcome.head.count <= options.maxHeadLength, "head over the limit")
            offset = step.nextOffset
            if isEnd {
                outcome.isComplete = true
                outcome.rest = Array(input[(start + offset)...])
                return outcome
            }
        }
        start = end
    }
    return outcome
}

/// Answers plain requests on a listener with a page.
let pageResponder = HTTPPageResponder(page: HTTPPage(html: "<p>page</p>"))

/// Parses and answers a complete head, then decodes the frames that followed it.
func handshake(_ outcome: HeadOutcome, anyMethod: Bool) {
    precondition(anyMethod || outcome.head.starts(with: Array("GET".utf8)))
    precondition(outcome.head.suffix(4).elementsEqual([13, 10, 13, 10]))
    let request: WebSocketUpgradeRequest
    do {
        request = try WebSocketUpgradeRequest.parse(head: outcome.head.span)
    } catch {
        preconditionFailure("a head from HTTPHeadDecoder must parse: \(error)")
    }
    if let response = pageResponder.response(to: request) {
        precondition(response.bytes.starts(with: Array("HTTP/1.1 ".utf8)), "page responses are HTTP/1.1")
        precondition(response.status != .methodNotAllowed || !["GET", "HEAD"].contains(request.method))
    }
    _ = request.requestedSubprotocols
    _ = request.selectSubprotocol(from: ["chat", "mqtt"])
    for validation in [WebSocketUpgradeRequest.Validation.rfc6455, .workerman, .workerman5] {
        for flavour in [WebSocketHandshake.Flavour.workerman4, .workerman5] {
            if let rejection = request.rejection(under: validation) {
                precondition(!WebSocketHandshake.response(for: rejection, flavour: flavour).isEmpty)
            } else {
                guard let key = request.key else { preconditionFailure("accepted without a key") }
                let accept = WebSocketHandshake.acceptValue(forKey: key)
                precondition(accept.utf8.count == 28, "accept value is base64 of 20 bytes")
                _ = WebSocketHandshake.switchingProtocolsResponse(
                    accept: accept,
                    flavour: flavour,
                    subprotocol: request.requestedSubprotocols.first,
                    extraHeaders: request.headers
                )
            }
        }
    }
    var frames = outcome.rest
    var span = frames.mutableSpan
    var decoder = WebSocketDecoder()
    var offset = 0
    while let step = try? decoder.decode(&span, from: offset, options: .rfc6455), step.event != .needMoreInput {
        offset = step.nextOffset
    }
}

func fuzzOne(_ bytes: [UInt8]) {
    guard let selector = bytes.first else { return }
    let input = Array(bytes.dropFirst())
    let options = HTTPHeadDecoder.Options(
        maxHeadLength: selector & 0x40 != 0 ? 200 : 16_384, acceptsAnyMethod: selector & 0x80 != 0)
    let chunked = findHead(input, chunkSize: Int(selector & 0x3F) + 1, options: options)
    let whole = findHead(input, chunkSize: max(input.count, 1), options: options)
    // Head bytes reported before an error depend on the chunking; the verdict must not.
    precondition(chunked.error == whole.error && chunked.isComplete == whole.isComplete, "chunkings disagree")
    precondition(!chunked.isComplete || (chunked.head == whole.head && chunked.rest == whole.rest), "heads differ")
    if chunked.isComplete { handshake(chunked, anyMethod: options.acceptsAnyMethod) }
    // Parsing must also cope with heads the decoder would never produce.
    if let request = try? WebSocketUpgradeRequest.parse(head: input.span) {
        _ = request.rejection(under: .rfc6455)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
