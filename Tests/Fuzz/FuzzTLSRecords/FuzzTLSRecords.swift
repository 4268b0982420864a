// libFuzzer target for the TLS record path: a server TLSSession (the gateway's, on its shard pipe) fed
// arbitrary bytes during a handshake and after a completed one. The first input byte picks the mode:
// bit 0 completes a real TLS 1.3 (or, bit 1, TLS 1.2) handshake with an in-process client first, bit 2
// has the client send one valid record before the garbage, bits 3–7 the chunk size (1–32 bytes). The
// session must never trap; once it reported a failure or close_notify it is fed nothing more (as a
// connection is closed), and plaintext only ever comes out of a completed handshake.
//
// The certificate is made once per process with the openssl CLI into a temporary directory (no key is
// committed). Build and run: `scripts/fuzz-smoke.sh 60 FuzzTLSRecords`. Without FUZZING the executable
// replays files given as arguments.
import FuzzSupport
import Glibc
import RingGateTLS

/// Server and client contexts on a certificate made at first use.
final class Contexts {
    let server12: TLSContext
    let server13: TLSContext
    let client: TLSContext

    init() {
        var template = Array("/tmp/ringgate-fuzz-tls-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            fatalError("mkdtemp failed")
        }
        let directory = String(cString: made)
        let command =
            "cd '\(directory)' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
            + " -keyout key.pem -out cert.pem -days 2 -subj /CN=localhost >/dev/null 2>&1"
        precondition(shell(command) == 0, "the openssl CLI could not make the fuzz certificate")
        var tls = TLSConfiguration(
            certificateChainPath: directory + "/cert.pem", privateKeyPath: directory + "/key.pem")
        do {
            server13 = try TLSContext(server: tls)
            tls.minimumVersion = .tls12
            server12 = try TLSContext(server: tls)
            client = try TLSContext(clientTrusting: nil)
        } catch {
            fatalError("cannot load the fuzz certificate: \(error)")
        }
        _ = shell("rm -rf '\(directory)'")
    }
}

func shell(_ command: String) -> Int32 {
    var pid: pid_t = 0
    let arguments = ["/bin/sh", "-c", command]
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status >> 8) & 0xFF
}

nonisolated(unsafe) let contexts = Contexts()
nonisolated(unsafe) let serverPipe = TLSPipe()
nonisolated(unsafe) let clientPipe = TLSPipe()

func bytes(of span: Span<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    for index in 0..<span.count { out.append(span[index]) }
    return out
}

/// Feeds `input` to `session` in `chunkSize` pieces; stops at a failure or close. Returns what the
/// session wrote back, and whether it is still usable.
@discardableResult
func feed(_ input: [UInt8], to session: TLSSession, pipe: TLSPipe, chunkSize: Int, plaintextSeen: inout Int) -> (
    output: [UInt8], alive: Bool
) {
    var output: [UInt8] = []
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + chunkSize)
        let piece = Array(input[offset..<end])
        let wasComplete = session.isHandshakeComplete
        var delivered = 0
        let outcome = session.receive(
            piece.span, pipe: pipe, output: { output += bytes(of: $0) }, handshakeCompleted: {},
            plaintext: { plaintext in
                precondition(session.isHandshakeComplete, "plaintext before the handshake completed")
                precondition(plaintext.count > 0 && plaintext.count <= 16_384, "plaintext piece beyond one record")
                delivered += plaintext.count
                return true
            })
        _ = wasComplete
        plaintextSeen += delivered
        switch outcome {
        case .failed, .closedByPeer: return (output, false)
        case .needMoreInput, .stopped: break
        }
        offset = end
    }
    return (output, true)
}

func fuzzOne(_ input: [UInt8]) {
    guard let selector = input.first else { return }
    let garbage = Array(input.dropFirst())
    let chunkSize = Int(selector >> 3) + 1
    let server = selector & 2 != 0 ? contexts.server12 : contexts.server13
    guard let session = TLSSession(context: server, pipe: serverPipe) else { return }
    var plaintext = 0
    if selector & 1 != 0 {
        // A real handshake first, then the garbage arrives as if from the established peer.
        guard let client = TLSSession(context: contexts.client, pipe: clientPipe, serverName: "localhost") else {
            return
        }
        var toServer: [UInt8] = []
        _ = client.start(pipe: clientPipe) { toServer += bytes(of: $0) }
        var rounds = 0
        while !(client.isHandshakeComplete && session.isHandshakeComplete) && rounds < 8 {
            rounds += 1
            let (toClient, alive) = feed(
                toServer, to: session, pipe: serverPipe, chunkSize: 4096, plaintextSeen: &plaintext)
            precondition(alive, "a real handshake failed")
            toServer = []
            var ignored = 0
            let answer = feed(toClient, to: client, pipe: clientPipe, chunkSize: 4096, plaintextSeen: &ignored)
            precondition(answer.alive, "the client refused the real handshake")
            toServer = answer.output
        }
        precondition(session.isHandshakeComplete, "no handshake in 8 rounds")
        if selector & 4 != 0 {
            _ = client.write(garbage.span, pipe: clientPipe) { toServer += bytes(of: $0) }
            let before = plaintext
            let (_, alive) = feed(
                toServer, to: session, pipe: serverPipe, chunkSize: chunkSize, plaintextSeen: &plaintext)
            precondition(alive && plaintext - before == garbage.count, "a valid record was not decrypted whole")
        }
    }
    let wasComplete = session.isHandshakeComplete
    feed(garbage, to: session, pipe: serverPipe, chunkSize: chunkSize, plaintextSeen: &plaintext)
    if !wasComplete && !session.isHandshakeComplete { precondition(plaintext == 0) }
    // Whatever state it is in, the session can still be asked to encrypt (refused before a handshake).
    _ = session.write([1, 2, 3].span, pipe: serverPipe) { _ in }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
