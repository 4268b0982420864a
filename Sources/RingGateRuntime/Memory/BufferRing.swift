import CLiburing
import Glibc

/// A provided-buffer ring: fixed-size receive buffers the kernel picks from when a multishot receive
/// has data, so a connection holds no buffer while idle (io_uring_register_buf_ring(3), Linux 5.19).
///
/// A buffer picked for a completion is the application's until `recycle` gives it back; the gateway
/// recycles every buffer within the loop turn that received it (partial messages are copied into a
/// chunk), and `publish` makes the turn's returns visible to the kernel with one store.
///
/// Safety: the ring memory is page-aligned and owned here; buffer memory is carved from the shard's
/// slab, which outlives this object. Unregistering happens in `deinit`, while the io_uring is alive.
/// Its stored properties skip Swift's runtime exclusivity checks (`@exclusivity(unchecked)`): they are touched
/// from one thread only, and no access to them spans a call out of this type, so two accesses cannot overlap.
/// The checks were the largest user-space cost of a relayed message (see `Ring`).
public final class BufferRing {
    public let groupID: UInt16
    public let bufferCount: Int
    public let bufferSize: Int
    private let ring: Ring
    private let entries: UnsafeMutablePointer<io_uring_buf_ring>
    private let entriesByteCount: Int
    private let buffers: UnsafeMutableRawPointer
    private let mask: Int32
    @exclusivity(unchecked)
    private var pendingReturns: Int32 = 0
    /// Buffers currently lent to the application (picked by the kernel, not yet recycled).
    @exclusivity(unchecked)
    public private(set) var lentCount = 0

    /// `bufferCount` must be a power of two (at most 32768).
    public init(ring: Ring, slab: HugePageSlab, groupID: UInt16, bufferCount: Int, bufferSize: Int) throws(SystemError)
    {
        precondition(
            bufferCount > 0 && bufferCount & (bufferCount - 1) == 0 && bufferCount <= 32768,
            "buffer count must be a power of two")
        self.ring = ring
        self.groupID = groupID
        self.bufferCount = bufferCount
        self.bufferSize = bufferSize
        guard let memory = slab.carve(byteCount: bufferCount * bufferSize, alignment: 4096, populate: true) else {
            throw SystemError("slab too small for \(bufferCount) × \(bufferSize) B receive buffers", errno: ENOMEM)
        }
        buffers = memory
        entriesByteCount = (bufferCount * MemoryLayout<io_uring_buf>.stride + 4095) / 4096 * 4096
        let raw = mmap(nil, entriesByteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let raw, raw != MAP_FAILED else { throw SystemError("mmap(buffer ring)", errno: errno) }
        entries = raw.bindMemory(to: io_uring_buf_ring.self, capacity: 1)
        mask = io_uring_buf_ring_mask(UInt32(bufferCount))
        io_uring_buf_ring_init(entries)
        var registration = io_uring_buf_reg()
        registration.ring_addr = UInt64(UInt(bitPattern: raw))
        registration.ring_entries = UInt32(bufferCount)
        registration.bgid = groupID
        let result = io_uring_register_buf_ring(&ring.ring, &registration, 0)
        if result < 0 {
            munmap(raw, entriesByteCount)
            throw SystemError("io_uring_register_buf_ring", errno: -result)
        }
        for id in 0..<bufferCount {
            io_uring_buf_ring_add(entries, buffers + id * bufferSize, UInt32(bufferSize), UInt16(id), mask, Int32(id))
        }
        io_uring_buf_ring_advance(entries, Int32(bufferCount))
    }

    deinit {
        _ = io_uring_unregister_buf_ring(&ring.ring, Int32(groupID))
        munmap(UnsafeMutableRawPointer(entries), entriesByteCount)
    }

    /// The first `length` bytes of buffer `id`, lent until `recycle(id)`.
    func bytes(id: UInt16, length: Int) -> UnsafeMutableRawBufferPointer {
        precondition(Int(id) < bufferCount && length <= bufferSize, "buffer id or length out of range")
        return UnsafeMutableRawBufferPointer(start: buffers + Int(id) * bufferSize, count: length)
    }

    /// Marks buffer `id` as picked by a completion (for the lent count).
    func lend(id: UInt16) { lentCount += 1 }

    /// Gives buffer `id` back; visible to the kernel after `publish()`.
    public func recycle(id: UInt16) {
        io_uring_buf_ring_add(entries, buffers + Int(id) * bufferSize, UInt32(bufferSize), id, mask, pendingReturns)
        pendingReturns += 1
        lentCount -= 1
    }

    /// Publishes the buffers recycled since the last call (one release store of the ring tail).
    public func publish() {
        guard pendingReturns > 0 else { return }
        io_uring_buf_ring_advance(entries, pendingReturns)
        pendingReturns = 0
    }
}
