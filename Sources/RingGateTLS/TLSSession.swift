import CLibSSL

/// The one type that owns "encrypt and decrypt this connection's bytes": an OpenSSL session whose
/// socket side is the shard's `TLSPipe`, so io_uring keeps the socket. Ciphertext from a receive buffer
/// goes in (`receive`), plaintext comes out to the caller's decoder; plaintext to send goes in
/// (`write`) and its ciphertext comes out for the send queue.
///
/// kTLS would plug in here: once `receive` reports the handshake complete, a kernel with the `tls` ULP
/// takes the negotiated keys (setsockopt TCP_ULP "tls", then TLS_TX/TLS_RX with the secrets OpenSSL
/// exports) and this type's record work becomes a pass-through; nothing else in the gateway changes.
///
/// Memory: OpenSSL's read and write buffers are released whenever they are empty
/// (SSL_MODE_RELEASE_BUFFERS); a partial record waiting for its next bytes is held in OpenSSL's read
/// buffer (at most one record, ~16 KiB), never in a receive buffer of the slab.
///
/// Safety: `session` is freed in deinit; the context is kept alive by `context`. Used by one thread.
public final class TLSSession {
    private let session: OpaquePointer
    public let context: TLSContext
    public private(set) var isHandshakeComplete = false

    /// What a call to `receive` ended with.
    public enum Outcome: Equatable {
        /// Every byte was taken; more are needed.
        case needMoreInput
        /// The plaintext handler asked to stop (the connection went); the remaining bytes are dropped.
        case stopped
        /// The peer sent close_notify.
        case closedByPeer
        /// The handshake or a record failed: the connection must go (OpenSSL's text in `detail`).
        case failed(TLSHandshakeFailure, detail: String)
    }

    /// A server session on `context`'s default certificate; nil when OpenSSL cannot allocate it.
    public init?(context: TLSContext, pipe: TLSPipe, serverName: String? = nil) {
        let made = withOptionalCString(serverName) {
            CLibSSL_session_new(context.primary, pipe.raw, context.isServer ? 1 : 0, $0)
        }
        guard let made else {
            CLibSSL_clear_errors()
            return nil
        }
        session = made
        self.context = context
    }

    deinit { CLibSSL_session_free(session) }

    /// Decrypts `ciphertext`: handshake messages first, then records. What OpenSSL has to send
    /// (handshake flights, alerts, tickets) goes to `output` after each step; `handshakeCompleted` is
    /// called once; each piece of plaintext goes to `plaintext`, which returns false to stop.
    public func receive(
        _ ciphertext: Span<UInt8>, pipe: TLSPipe, output: (Span<UInt8>) -> Void, handshakeCompleted: () -> Void,
        plaintext: (inout MutableSpan<UInt8>) -> Bool
    ) -> Outcome {
        ciphertext.withUnsafeBufferPointer { input in
            var offset = 0
            while true {
                var consumed = 0
                let start = input.baseAddress.map { $0 + offset }
                if !isHandshakeComplete {
                    let result = CLibSSL_handshake(session, pipe.raw, start, input.count - offset, &consumed)
                    offset += consumed
                    if result == 1 {
                        pipe.drain(output)
                        isHandshakeComplete = true
                        handshakeCompleted()
                        continue
                    }
                    if result == wantInput {
                        pipe.drain(output)
                        return .needMoreInput
                    }
                    return failure(pipe: pipe, output: output)
                }
                let base = pipe.plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let result = CLibSSL_read(
                    session, pipe.raw, start, input.count - offset, &consumed, base, TLSPipe.plaintextCapacity)
                offset += consumed
                pipe.drain(output)
                if result > 0 {
                    var span = UnsafeMutableBufferPointer(start: base, count: Int(result)).mutableSpan
                    if !plaintext(&span) { return .stopped }
                    continue
                }
                switch result {
                case wantInput: return .needMoreInput
                case closed: return .closedByPeer
                default: return failure(pipe: pipe, output: output)
                }
            }
        }
    }

    /// Encrypts `plaintext` (after the handshake) and hands the records to `output`. False when OpenSSL
    /// refused (the connection is broken).
    public func write(_ plaintext: Span<UInt8>, pipe: TLSPipe, output: (Span<UInt8>) -> Void) -> Bool {
        guard isHandshakeComplete else { return false }
        let result = plaintext.withUnsafeBufferPointer { bytes in
            CLibSSL_write(session, pipe.raw, bytes.baseAddress, bytes.count)
        }
        guard result == 1 else {
            CLibSSL_clear_errors()
            pipe.discardOutput()
            return false
        }
        pipe.drain(output)
        return true
    }

    /// Starts a handshake (client sessions; a server waits for the ClientHello) and hands the first
    /// flight to `output`.
    public func start(pipe: TLSPipe, output: (Span<UInt8>) -> Void) -> Outcome {
        var consumed = 0
        let result = CLibSSL_handshake(session, pipe.raw, nil, 0, &consumed)
        if result == 1 { isHandshakeComplete = true }
        if result == failedResult { return failure(pipe: pipe, output: output) }
        pipe.drain(output)
        return .needMoreInput
    }

    /// Queues a close_notify alert to `output` (a graceful close).
    public func shutdown(pipe: TLSPipe, output: (Span<UInt8>) -> Void) {
        guard isHandshakeComplete else { return }
        CLibSSL_shutdown(session, pipe.raw)
        pipe.drain(output)
    }

    private func failure(pipe: TLSPipe, output: (Span<UInt8>) -> Void) -> Outcome {
        var detail = [CChar](repeating: 0, count: 256)
        let reason = String(cString: CLibSSL_failure_reason(&detail, detail.count))
        // The alert OpenSSL wrote tells the peer why; it is sent before the close.
        pipe.drain(output)
        return .failed(TLSHandshakeFailure(rawValue: reason) ?? .protocol, detail: cString(detail))
    }

    /// The negotiated version ("TLSv1.3"), or "unknown" before the handshake.
    public var version: String { String(cString: CLibSSL_session_version(session)) }
    /// The host name the client sent (SNI), or "".
    public var serverName: String { String(cString: CLibSSL_session_server_name(session)) }
    /// The ALPN protocol agreed on, or "".
    public var alpn: String {
        var buffer = [CChar](repeating: 0, count: 64)
        CLibSSL_session_alpn(session, &buffer, buffer.count)
        return cString(buffer)
    }
    /// Subject of the peer's certificate, or "" when it sent none.
    public var peerSubject: String {
        var buffer = [CChar](repeating: 0, count: 512)
        CLibSSL_session_peer_subject(session, &buffer, buffer.count)
        return cString(buffer)
    }
}

private let wantInput = Int32(CLibSSL_WANT_INPUT)
private let closed = Int32(CLibSSL_CLOSED)
private let failedResult = Int32(CLibSSL_FAILED)

@available(*, unavailable)
extension TLSSession: Sendable {}
