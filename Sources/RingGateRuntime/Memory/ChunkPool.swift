import Glibc

/// A handle to a reference-counted byte chunk owned by a shard's `ChunkPool`.
///
/// One encoded message can be queued to many connections by retaining its chunk once per queue entry,
/// which is what makes a broadcast cost one encode per shard instead of one per recipient.
public struct Chunk: Hashable, Sendable {
    public let id: UInt32

    /// Rebuilds a handle from its id (records that store ids compactly).
    public init(id: UInt32) { self.id = id }
}

/// Reference-counted chunks in a few size classes, carved from the shard's `HugePageSlab`; chunks larger
/// than the largest class, or needed after the slab is exhausted, come from the heap and are counted.
///
/// Chunks carry outgoing frames (one per encoded message, shared by every recipient) and the partial bytes
/// of a message that spans receive buffers (released as soon as the message completes).
///
/// Safety: every chunk's memory stays valid while its reference count is above zero; the count is only
/// touched from the shard's thread. A chunk lent to the kernel for a send holds one reference until the
/// send's completion arrives, even if its connection is already gone.
/// Its stored properties skip Swift's runtime exclusivity checks (`@exclusivity(unchecked)`): they are touched
/// from one thread only, and no access to them spans a call out of this type, so two accesses cannot overlap.
/// The checks were the largest user-space cost of a relayed message (see `Ring`).
public final class ChunkPool {
    /// Block sizes of the slab-backed classes.
    public static let classSizes = [256, 2048, 16384, 131_072]
    private static let heapClass: UInt8 = 0xFF

    private struct Record {
        var base: UnsafeMutableRawPointer?
        var capacity: Int
        var length: Int
        var references: UInt32
        var sizeClass: UInt8
    }

    private let slab: HugePageSlab
    @exclusivity(unchecked)
    private var records: ContiguousArray<Record> = []
    @exclusivity(unchecked)
    private var freeIDs: [UInt32] = []
    /// Free slab blocks per class, as intrusive lists: a free block's first word points to the next, so
    /// free memory costs no bookkeeping outside the slab.
    @exclusivity(unchecked)
    private var freeBlocks: [UnsafeMutableRawPointer?] = Array(repeating: nil, count: ChunkPool.classSizes.count)

    /// Chunks alive now.
    @exclusivity(unchecked)
    public private(set) var liveCount = 0
    /// Bytes of slab blocks handed out and not yet returned.
    @exclusivity(unchecked)
    public private(set) var slabBytesInUse = 0
    /// Bytes of heap chunks alive now (large messages, or slab exhausted).
    @exclusivity(unchecked)
    public private(set) var heapBytesInUse = 0
    /// Heap allocations made because a class had no slab memory left.
    @exclusivity(unchecked)
    public private(set) var slabExhaustedCount = 0
    /// Allocations refused because the heap was out of memory (the message or connection was dropped).
    @exclusivity(unchecked)
    public private(set) var allocationFailureCount: UInt64 = 0
    /// Makes every heap allocation fail (tests only: malloc cannot be made to fail on demand).
    public var refusesHeapForTesting = false

    public init(slab: HugePageSlab) {
        self.slab = slab
    }

    deinit {
        for record in records where record.sizeClass == Self.heapClass && record.references > 0 {
            free(record.base)
        }
    }

    /// A chunk with room for at least `capacity` bytes, length 0, one reference. Traps when the heap is
    /// out of memory: for the gateway's own bookkeeping only; what a peer can cause uses `tryAllocate`.
    public func allocate(capacity: Int) -> Chunk {
        guard let chunk = tryAllocate(capacity: capacity) else {
            fatalError("out of memory allocating a \(capacity)-byte chunk")
        }
        return chunk
    }

    /// A chunk with room for at least `capacity` bytes, length 0, one reference; nil (counted in
    /// `allocationFailureCount`) when the heap refuses, so the caller drops the message or the connection.
    public func tryAllocate(capacity: Int) -> Chunk? {
        guard capacity >= 0, let (base, actualCapacity, sizeClass) = takeBlock(capacity: capacity) else {
            allocationFailureCount &+= 1
            return nil
        }
        let record = Record(base: base, capacity: actualCapacity, length: 0, references: 1, sizeClass: sizeClass)
        liveCount += 1
        if let id = freeIDs.popLast() {
            records[Int(id)] = record
            return Chunk(id: id)
        }
        records.append(record)
        return Chunk(id: UInt32(records.count - 1))
    }

    private func takeBlock(capacity: Int) -> (UnsafeMutableRawPointer, Int, UInt8)? {
        if let index = Self.classSizes.firstIndex(where: { $0 >= capacity }) {
            let size = Self.classSizes[index]
            if let block = popFreeBlock(classIndex: index) ?? carveBlocks(classIndex: index) {
                slabBytesInUse += size
                return (block, size, UInt8(index))
            }
            slabExhaustedCount += 1
        }
        let size = max(capacity, 1)
        guard !refusesHeapForTesting, let block = malloc(size) else { return nil }
        heapBytesInUse += size
        return (block, size, Self.heapClass)
    }

    /// Carves a run of blocks for class `classIndex` (at least 64 KiB at a time) and returns one.
    private func carveBlocks(classIndex: Int) -> UnsafeMutableRawPointer? {
        let size = Self.classSizes[classIndex]
        let count = max(1, 65536 / size)
        guard let run = slab.carve(byteCount: size * count, alignment: 64) else { return nil }
        for block in (1..<count).reversed() { pushFreeBlock(run + block * size, classIndex: classIndex) }
        return run
    }

    private func pushFreeBlock(_ block: UnsafeMutableRawPointer, classIndex: Int) {
        block.storeBytes(of: freeBlocks[classIndex], as: UnsafeMutableRawPointer?.self)
        freeBlocks[classIndex] = block
    }

    private func popFreeBlock(classIndex: Int) -> UnsafeMutableRawPointer? {
        guard let block = freeBlocks[classIndex] else { return nil }
        freeBlocks[classIndex] = block.load(as: UnsafeMutableRawPointer?.self)
        return block
    }

    /// Drops the chunk records' storage when no chunk is alive and it holds more than `keeping`
    /// records, so a burst (every client answered at once) does not leave its peak resident. Returns
    /// the bytes given back.
    public func releaseStorageIfIdle(keeping: Int = 1_024) -> Int {
        guard liveCount == 0, records.count > keeping else { return 0 }
        let released = records.capacity * MemoryLayout<Record>.stride + freeIDs.capacity * 4
        records = []
        freeIDs = []
        return released
    }

    public func retain(_ chunk: Chunk) {
        precondition(records[Int(chunk.id)].references > 0, "retain of a released chunk")
        records[Int(chunk.id)].references += 1
    }

    /// Drops one reference; the memory returns to its class (or the heap) when none remain.
    public func release(_ chunk: Chunk) {
        let index = Int(chunk.id)
        precondition(records[index].references > 0, "chunk released twice")
        records[index].references -= 1
        guard records[index].references == 0 else { return }
        let record = records[index]
        if record.sizeClass == Self.heapClass {
            free(record.base)
            heapBytesInUse -= record.capacity
        } else {
            pushFreeBlock(record.base!, classIndex: Int(record.sizeClass))
            slabBytesInUse -= record.capacity
        }
        records[index].base = nil
        liveCount -= 1
        freeIDs.append(chunk.id)
    }

    public func length(of chunk: Chunk) -> Int { records[Int(chunk.id)].length }
    public func capacity(of chunk: Chunk) -> Int { records[Int(chunk.id)].capacity }
    public func referenceCount(of chunk: Chunk) -> UInt32 { records[Int(chunk.id)].references }

    /// Sets the number of meaningful bytes (after writing through `withMutableBytes`).
    public func setLength(_ length: Int, of chunk: Chunk) {
        precondition(length >= 0 && length <= records[Int(chunk.id)].capacity, "chunk length beyond capacity")
        records[Int(chunk.id)].length = length
    }

    /// Lends the whole capacity for writing.
    public func withMutableBytes<R>(_ chunk: Chunk, _ body: (inout MutableSpan<UInt8>) throws -> R) rethrows -> R {
        let record = records[Int(chunk.id)]
        let buffer = UnsafeMutableBufferPointer(
            start: record.base!.assumingMemoryBound(to: UInt8.self), count: record.capacity)
        var span = buffer.mutableSpan
        return try body(&span)
    }

    /// Lends the meaningful bytes for reading.
    public func withBytes<R>(_ chunk: Chunk, _ body: (Span<UInt8>) throws -> R) rethrows -> R {
        let record = records[Int(chunk.id)]
        let buffer = UnsafeBufferPointer(start: record.base!.assumingMemoryBound(to: UInt8.self), count: record.length)
        return try body(buffer.span)
    }

    /// Appends `bytes` to a chunk with a single reference, moving it to a larger block when full
    /// (capacity doubles, so assembling an n-byte message copies O(n) bytes in all). Returns the chunk
    /// now holding the bytes. Traps when out of memory; what a peer sends uses `tryAppend`.
    public func append(_ bytes: Span<UInt8>, to chunk: Chunk) -> Chunk {
        guard let target = tryAppend(bytes, to: chunk, capacityLimit: .max) else {
            fatalError("out of memory growing a chunk")
        }
        return target
    }

    /// Appends as `append`, but growth doubles only up to `capacityLimit` (a message's maximum length:
    /// a 10 MiB − 1 message holds 10 MiB, not 16) and a refused allocation returns nil with `chunk`
    /// untouched (the caller still owns it). nil also when the bytes would exceed `capacityLimit`.
    public func tryAppend(_ bytes: Span<UInt8>, to chunk: Chunk, capacityLimit: Int) -> Chunk? {
        let record = records[Int(chunk.id)]
        precondition(record.references == 1, "append to a shared chunk")
        let needed = record.length + bytes.count
        var target = chunk
        if needed > record.capacity {
            guard needed <= capacityLimit else { return nil }
            let doubled = record.capacity > capacityLimit / 2 ? capacityLimit : record.capacity * 2
            guard let grown = tryAllocate(capacity: max(needed, doubled)) else { return nil }
            target = grown
            memcpy(records[Int(target.id)].base!, record.base!, record.length)
            records[Int(target.id)].length = record.length
            release(chunk)
        }
        let destination = records[Int(target.id)].base! + records[Int(target.id)].length
        bytes.withUnsafeBytes { source in
            if let start = source.baseAddress { memcpy(destination, start, source.count) }
        }
        records[Int(target.id)].length = needed
        return target
    }

    /// Copies `bytes` into `chunk` at `offset` (bounds-checked against the capacity); the length is
    /// extended to cover them.
    public func write(_ bytes: Span<UInt8>, to chunk: Chunk, at offset: Int) {
        let record = records[Int(chunk.id)]
        precondition(offset >= 0 && offset + bytes.count <= record.capacity, "chunk write beyond capacity")
        bytes.withUnsafeBytes { source in
            if let start = source.baseAddress { memcpy(record.base! + offset, start, source.count) }
        }
        if offset + bytes.count > record.length { records[Int(chunk.id)].length = offset + bytes.count }
    }

    /// Start address of a chunk, for the ring (send) only.
    func address(of chunk: Chunk) -> UnsafeMutableRawPointer { records[Int(chunk.id)].base! }
}
