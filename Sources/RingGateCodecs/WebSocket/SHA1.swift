import CLibCrypto

/// SHA-1, for the handshake's `Sec-WebSocket-Accept` (RFC 6455 §4.2.2), computed by OpenSSL.
enum SHA1 {
    /// The 20-byte digest of `bytes`.
    ///
    /// Safety: the only unsafe code in RingGateCodecs. `CLibCrypto_sha1` reads exactly
    /// `input.count` bytes from `input` and writes exactly 20 bytes to `digest`; both pointers come
    /// from arrays of those sizes and live for the whole call, and OpenSSL keeps neither.
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 20)
        let succeeded = unsafe bytes.withUnsafeBufferPointer { input in
            unsafe digest.withUnsafeMutableBufferPointer { output in
                unsafe CLibCrypto_sha1(input.baseAddress, input.count, output.baseAddress)
            }
        }
        precondition(succeeded == 1, "OpenSSL SHA-1 failed (EVP_sha1 unavailable?)")
        return digest
    }
}
