import CLibSSL
import Glibc

/// One shard's channel between its TLS sessions and OpenSSL: ciphertext in (lent per call), ciphertext
/// out (drained after every call), and the buffer plaintext is decrypted into. Shared by every session
/// of the shard, so an idle connection holds none of these bytes.
///
/// Safety: owned by one shard thread; `raw` and `plaintext` live as long as the pipe, and sessions
/// using it are only called on that thread (each call lends, then takes back, its input).
public final class TLSPipe {
    let raw: UnsafeMutablePointer<CLibSSL_Pipe>
    /// The largest plaintext a TLS record carries.
    static let plaintextCapacity = 16_384
    let plaintext: UnsafeMutableRawBufferPointer
    /// Output storage kept after a burst; more is freed once drained.
    static let keptOutputCapacity = 256 << 10

    public init() {
        guard let raw = CLibSSL_pipe_new() else { fatalError("cannot allocate a TLS pipe at startup") }
        self.raw = raw
        plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.plaintextCapacity, alignment: 16)
    }

    deinit {
        CLibSSL_pipe_free(raw)
        plaintext.deallocate()
    }

    /// Hands what OpenSSL wrote to `output` and empties the output. The buffer is taken out of the pipe
    /// for the call, so a session written to from inside `output` (the caller reacting to these bytes)
    /// gets a buffer of its own instead of moving or overwriting the one being read.
    func drain(_ output: (Span<UInt8>) -> Void) {
        let length = raw.pointee.output_length
        guard length > 0, let bytes = raw.pointee.output else { return }
        let capacity = raw.pointee.output_capacity
        raw.pointee.output = nil
        raw.pointee.output_length = 0
        raw.pointee.output_capacity = 0
        output(UnsafeBufferPointer(start: bytes, count: length).span)
        if raw.pointee.output == nil && capacity <= Self.keptOutputCapacity {
            raw.pointee.output = bytes
            raw.pointee.output_capacity = capacity
        } else {
            free(bytes)
        }
    }

    /// Drops unread output (a session that failed, whose bytes nobody will send).
    func discardOutput() {
        raw.pointee.output_length = 0
        CLibSSL_pipe_trim(raw, Self.keptOutputCapacity)
    }
}

@available(*, unavailable)
extension TLSPipe: Sendable {}

/// The process heap in use (glibc's `uordblks`), for measuring what TLS sessions cost.
public enum TLSHeap {
    public static var bytesInUse: Int { CLibSSL_heap_in_use() }
}
