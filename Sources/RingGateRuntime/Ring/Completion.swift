import CLiburing

/// One completion queue entry, copied out of the ring.
public struct Completion: Sendable {
    public var tag: CompletionTag
    /// The operation's result: bytes, a file index, or `-errno`.
    public var result: Int32
    public var flags: UInt32

    public init(tag: CompletionTag, result: Int32, flags: UInt32) {
        self.tag = tag
        self.result = result
        self.flags = flags
    }

    /// IORING_CQE_F_MORE: a multishot operation stays armed and will complete again.
    public var hasMore: Bool { flags & IORING_CQE_F_MORE != 0 }

    /// The provided buffer the kernel picked (IORING_CQE_F_BUFFER), if any.
    public var bufferID: UInt16? {
        flags & IORING_CQE_F_BUFFER != 0 ? UInt16(truncatingIfNeeded: flags >> IORING_CQE_BUFFER_SHIFT) : nil
    }
}
