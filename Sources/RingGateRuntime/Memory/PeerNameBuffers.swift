import Glibc

/// A small pool of sockaddr storage that in-flight SO_PEERNAME requests write into.
///
/// Safety: a buffer is the kernel's from `take` until the request's completion is handed to `finish`;
/// the pool lives as long as the shard's ring.
final class PeerNameBuffers {
    static let slotSize = 32  // sockaddr_in6 is 28 bytes
    private let storage: UnsafeMutableRawPointer
    private let capacity: Int
    private var free: [Int]
    private var inFlight: [UInt32: Int] = [:]

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(byteCount: capacity * Self.slotSize, alignment: 16)
        free = Array((0..<capacity).reversed())
    }

    deinit { storage.deallocate() }

    /// Storage for connection `slot`'s request, or nil when every buffer is in flight.
    func take(for slot: UInt32) -> UnsafeMutableRawPointer? {
        guard let index = free.popLast() else { return nil }
        inFlight[slot] = index
        let pointer = storage + index * Self.slotSize
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: Self.slotSize)
        return pointer
    }

    /// Reads and releases connection `slot`'s buffer.
    func finish(for slot: UInt32, succeeded: Bool) -> SocketAddress? {
        guard let index = inFlight.removeValue(forKey: slot) else { return nil }
        free.append(index)
        return succeeded ? SocketAddress(storage: storage + index * Self.slotSize) : nil
    }
}
