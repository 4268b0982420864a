/// A FIFO of received bytes for the stream assemblers: bytes are appended at the end and consumed
/// from the front.
///
/// Consuming only moves a read index; the storage is compacted when everything was consumed (free)
/// or when the consumed prefix is at least as long as the live bytes (so each byte is moved at most
/// once on average). Capacity beyond `retainedCapacity` is released once the queue drains, so one
/// large packet does not pin megabytes per idle connection. Nothing is ever reserved on the word of
/// a length field: the storage holds only bytes that actually arrived.
struct GatewayByteQueue: Sendable {
    /// Received bytes; the live ones are `storage[readIndex...]`.
    private(set) var storage: [UInt8] = []
    /// Offset of the first unconsumed byte in `storage`.
    private(set) var readIndex = 0
    /// Capacity kept after the queue drains.
    let retainedCapacity: Int

    init(retainedCapacity: Int) {
        self.retainedCapacity = retainedCapacity
    }

    /// Unconsumed bytes.
    var count: Int { storage.count - readIndex }

    /// Bytes the storage can hold without reallocating (for tests and metrics).
    var capacity: Int { storage.capacity }

    /// Appends received bytes, compacting first when that is cheap relative to what was consumed.
    mutating func append(_ bytes: borrowing Span<UInt8>) {
        if readIndex > 0 && readIndex >= count {
            storage.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        GatewayBytes.append(bytes, to: &storage)
    }

    /// Drops `byteCount` bytes from the front.
    mutating func consume(_ byteCount: Int) {
        precondition(byteCount >= 0 && byteCount <= count, "consume within the buffered bytes")
        readIndex += byteCount
        if readIndex == storage.count {
            if storage.capacity > retainedCapacity {
                storage = []
            } else {
                storage.removeAll(keepingCapacity: true)
            }
            readIndex = 0
        }
    }
}
