import CLiburing
import Glibc

/// Everything a shard's handlers use to talk to the kernel: its ring, receive buffers, chunks, and the
/// storage for peer-address lookups. Owned by one shard thread.
///
/// The methods here are the safe surface over the ring: they take chunk handles and slots, never
/// pointers, so the layers above need no unsafe code.
public final class ShardIO {
    public let ring: Ring
    public let slab: HugePageSlab
    public let receiveBuffers: BufferRing
    public let chunks: ChunkPool
    let peerNames = PeerNameBuffers(capacity: 1024)
    /// Address storage of connects in flight, keyed by the connect's slot.
    let connectAddresses = PeerNameBuffers(capacity: 64)
    /// Address storage of the one address-reporting accept in flight (`acceptReportingAddress`).
    let acceptAddress = AcceptAddressBuffer()

    /// `chunks`: a pool to share with another ring of the same thread (a shard's upstream ring uses
    /// the client ring's pool); nil creates one on `slab`.
    public init(ring: Ring, slab: HugePageSlab, receiveBuffers: BufferRing, chunks: ChunkPool? = nil) {
        self.ring = ring
        self.slab = slab
        self.receiveBuffers = receiveBuffers
        self.chunks = chunks ?? ChunkPool(slab: slab)
    }

    /// Connects direct descriptor `fileIndex` to `address`; finish with `connectCompleted(_:)`.
    /// Returns false when too many connects are in flight.
    public func connect(fileIndex: UInt32, to address: SocketAddress, tag: CompletionTag) -> Bool {
        guard let storage = connectAddresses.take(for: tag.slot) else { return false }
        let length = address.withSockAddr { source, length in
            storage.copyMemory(from: UnsafeRawPointer(source), byteCount: Int(length))
            return length
        }
        ring.connect(fileIndex: fileIndex, address: UnsafeRawPointer(storage), length: length, tag: tag)
        return true
    }

    /// Releases the address storage of a finished connect.
    public func connectCompleted(_ completion: Completion) {
        _ = connectAddresses.finish(for: completion.tag.slot, succeeded: false)
    }

    /// Sends `range` of `chunk` on `fileIndex`. The caller holds a reference to the chunk until the
    /// completion arrives.
    public func send(_ chunk: Chunk, range: Range<Int>, fileIndex: UInt32, tag: CompletionTag) {
        precondition(range.upperBound <= chunks.length(of: chunk), "send range beyond chunk length")
        ring.send(
            fileIndex: fileIndex, bytes: chunks.address(of: chunk) + range.lowerBound, length: range.count, tag: tag)
    }

    /// Starts an SO_PEERNAME lookup for the socket at `fileIndex`; the address comes back through
    /// `peerName(completing:)`. Returns false when too many lookups are in flight (try again later).
    public func requestPeerName(fileIndex: UInt32, family: Int32, tag: CompletionTag) -> Bool {
        guard let storage = peerNames.take(for: tag.slot) else { return false }
        let length = Int32(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        ring.peerName(fileIndex: fileIndex, into: storage, length: length, tag: tag)
        return true
    }

    /// The address a finished SO_PEERNAME lookup produced (nil if it failed).
    public func peerName(completing completion: Completion) -> SocketAddress? {
        peerNames.finish(for: completion.tag.slot, succeeded: completion.result > 0)
    }

    /// Arms one accept on `listenerDescriptor` into the file table that reports the peer's address
    /// (`acceptedAddress(completing:)`). One at a time: re-arm after each completion.
    public func acceptReportingAddress(listenerDescriptor: Int32, tag: CompletionTag) {
        acceptAddress.prepare()
        ring.acceptDirect(
            listenerDescriptor: listenerDescriptor, address: acceptAddress.storage, length: acceptAddress.length,
            tag: tag)
    }

    /// The peer address of a finished `acceptReportingAddress` (nil if it failed). Read it before
    /// re-arming the accept.
    public func acceptedAddress(completing completion: Completion) -> SocketAddress? {
        acceptAddress.address(succeeded: completion.result >= 0)
    }

    /// Lends the bytes a receive completion delivered, then returns the buffer to the kernel's ring.
    /// The bytes are writable so decoders can unmask WebSocket payloads in place.
    public func withReceivedBytes<R>(_ completion: Completion, _ body: (inout MutableSpan<UInt8>) -> R) -> R {
        guard let id = completion.bufferID else { preconditionFailure("receive completion without a buffer") }
        receiveBuffers.lend(id: id)
        defer { receiveBuffers.recycle(id: id) }
        let raw = receiveBuffers.bytes(id: id, length: Int(max(completion.result, 0)))
        let buffer = raw.bindMemory(to: UInt8.self)
        var span = buffer.mutableSpan
        return body(&span)
    }

    /// Returns a buffer a completion carried without reading it (e.g. data for a closing connection).
    public func discardReceivedBuffer(_ completion: Completion) {
        guard let id = completion.bufferID else { return }
        receiveBuffers.lend(id: id)
        receiveBuffers.recycle(id: id)
    }
}
