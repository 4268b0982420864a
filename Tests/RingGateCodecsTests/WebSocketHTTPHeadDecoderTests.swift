import RingGateCodecs
import Testing

/// Finding the end of the request head, with its `GET` and size checks.
@Suite struct WebSocketHTTPHeadDecoderTests {
    struct Outcome: Equatable {
        /// The head bytes reported, assembled.
        var head: [UInt8] = []
        var isComplete = false
        /// Bytes left after the head (the start of the frames), from the chunk that ended it.
        var rest: [UInt8] = []
        var error: ProtocolError.Kind? = nil
    }

    /// Drives one decoder over `chunks` as the gateway would, stopping at the head's end.
    func decodeHead(_ chunks: [[UInt8]], maxHeadLength: Int = 16_384, anyMethod: Bool = false) -> Outcome {
        var decoder = HTTPHeadDecoder()
        let options = HTTPHeadDecoder.Options(maxHeadLength: maxHeadLength, acceptsAnyMethod: anyMethod)
        var outcome = Outcome()
        for chunk in chunks {
            var offset = 0
            while true {
                let step: DecodeStep
                do {
                    step = try decoder.decode(chunk.span, from: offset, options: options)
                } catch {
                    outcome.error = error.kind
                    return outcome
                }
                guard case .messageBytes(let range, let isEnd) = step.event else { break }
                #expect(range.lowerBound == offset && step.nextOffset == range.upperBound)
                outcome.head += chunk[range]
                offset = step.nextOffset
                if isEnd {
                    outcome.isComplete = true
                    outcome.rest = Array(chunk[offset...])
                    return outcome
                }
            }
        }
        return outcome
    }

    @Test func findsTheHeadInEveryChunking() {
        let head = Array(WebSocketHandshakeTests.labRequest.utf8)
        let frame = clientFrame(0x1, "early")
        for (name, chunks) in chunkings(of: head + frame) {
            let outcome = decodeHead(chunks)
            #expect(outcome.head == head && outcome.isComplete && outcome.error == nil, "\(name)")
            // Whatever followed the head in the chunk that ended it is left for the frame decoder.
            let chunkEnds = chunks.reduce(into: [Int]()) { $0.append(($0.last ?? 0) + $1.count) }
            let lastChunkEnd = chunkEnds.first { $0 >= head.count } ?? 0
            #expect(outcome.rest == Array((head + frame)[head.count..<lastChunkEnd]), "\(name)")
        }
    }

    @Test func wholeHeadIsOneEvent() throws {
        let bytes = Array("GET / HTTP/1.1\r\n\r\n".utf8) + [0x81]
        var decoder = HTTPHeadDecoder()
        let step = try decoder.decode(bytes.span, from: 0, options: .init())
        #expect(step == DecodeStep(.messageBytes(0..<18, isMessageEnd: true), nextOffset: 18))
        let empty = try decoder.decode(bytes.span, from: 19, options: .init())
        #expect(empty == DecodeStep(.needMoreInput, nextOffset: 19))
    }

    @Test func terminatorNeedsCRLFCRLF() {
        #expect(!decodeHead([Array("GET / HTTP/1.1\n\n\r\n\n\r\r\n".utf8)]).isComplete)
        #expect(decodeHead([Array("GET / HTTP/1.1\r\r\n\r\n".utf8)]).isComplete)
        #expect(decodeHead([Array("GET / HTTP/1.1\r\n\r\r\n\r\n".utf8)]).head.count == 21)
    }

    @Test func mustStartWithGET() {
        #expect(decodeHead([Array("POST / HTTP/1.1\r\n\r\n".utf8)]).error == .badHandshake)
        #expect(decodeHead([Array("get / HTTP/1.1\r\n\r\n".utf8)]).error == .badHandshake)
        #expect(decodeHead([Array("GEX".utf8)]).error == .badHandshake)
        #expect(decodeHead([Array("\r\n\r\n".utf8)]).error == .badHandshake)
        // Fail fast, on the first wrong byte; "GE" alone is still a possible GET.
        #expect(decodeHead([Array("P".utf8)]).error == .badHandshake)
        #expect(decodeHead([Array("GE".utf8)]) == Outcome(head: Array("GE".utf8)))
        // Workerman only checks the prefix "GET".
        #expect(decodeHead([Array("GETX / HTTP/1.1\r\n\r\n".utf8)]).isComplete)
    }

    /// A listener serving a page lets every method through to answer it with 405; bytes that cannot
    /// start an HTTP request still fail at once.
    @Test func anyMethodWhenAPageIsServed() {
        for method in ["GET", "HEAD", "POST", "OPTIONS", "M", "ABCDEFGHIJKLMNOP"] {
            let head = Array("\(method) / HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
            for (name, chunks) in chunkings(of: head) {
                let outcome = decodeHead(chunks, anyMethod: true)
                #expect(outcome.isComplete && outcome.head == head, "\(method) \(name)")
            }
        }
        for bad in [
            "get / HTTP/1.1", " GET /", "\r\n\r\n", "G\0T", "ABCDEFGHIJKLMNOPQ / HTTP/1.1", "\u{16}\u{03}\u{01}",
        ] {
            for (name, chunks) in chunkings(of: Array(bad.utf8)) {
                #expect(decodeHead(chunks, anyMethod: true).error == .badHandshake, "\(bad) \(name)")
            }
        }
        // Without the option nothing changes: only GET.
        #expect(decodeHead([Array("HEAD / HTTP/1.1\r\n\r\n".utf8)]).error == .badHandshake)
    }

    /// FuzzWebSocketHandshake crash-2d3980d8 (a fuzzer oracle bug, kept as a vector): fed one byte at
    /// a time, "G" is reported as head bytes before "e" fails the GET check; fed whole, nothing is.
    /// The verdict is the same in every chunking.
    @Test func fuzzVectorMixedCaseGET() {
        let input = hex("4765544b65793a206c49474864684e6862000000009c656253d0ced1cefb0a486f2d2f6368617420636f")
        for (name, chunks) in chunkings(of: input) {
            let outcome = decodeHead(chunks, maxHeadLength: 200)
            #expect(outcome.error == .badHandshake && !outcome.isComplete, "\(name)")
            #expect(outcome.head == (chunks[0].count == 1 ? Array("G".utf8) : []), "\(name)")
        }
    }

    @Test func headLengthLimit() {
        let head = Array("GET / HTTP/1.1\r\nX: \(String(repeating: "a", count: 100))\r\n\r\n".utf8)
        #expect(decodeHead([head], maxHeadLength: head.count).isComplete)
        #expect(decodeHead([head], maxHeadLength: head.count - 1).error == .headTooLarge)
        #expect(decodeHead(head.map { [$0] }, maxHeadLength: head.count - 1).error == .headTooLarge)
        // The error comes with the first byte beyond the limit, not at the terminator.
        #expect(decodeHead([Array(head[..<51])], maxHeadLength: 50).error == .headTooLarge)
        #expect(decodeHead([Array(head[..<50])], maxHeadLength: 50).error == nil)
        // Default: 16 KiB.
        let big = Array("GET / HTTP/1.1\r\nX: ".utf8) + [UInt8](repeating: 0x61, count: 16_384)
        #expect(decodeHead([big]).error == .headTooLarge)
    }

    @Test func decoderIsReusableAfterAHead() {
        let head = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        var decoder = HTTPHeadDecoder()
        for _ in 0..<2 {
            let step = try? decoder.decode(head.span, from: 0, options: .init())
            #expect(step == DecodeStep(.messageBytes(0..<head.count, isMessageEnd: true), nextOffset: head.count))
        }
    }
}
