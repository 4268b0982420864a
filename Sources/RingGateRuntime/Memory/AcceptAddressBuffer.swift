import Glibc

/// The sockaddr storage and length of the one address-reporting accept a listener has in flight.
///
/// Safety: the storage is the kernel's from `prepare()` until the accept's completion is handed to
/// `address(succeeded:)`; one accept at a time uses it, and it lives as long as the shard's ring.
final class AcceptAddressBuffer {
    private static let storageSize = MemoryLayout<sockaddr_storage>.size
    let storage: UnsafeMutableRawPointer
    let length: UnsafeMutablePointer<socklen_t>

    init() {
        storage = .allocate(byteCount: Self.storageSize, alignment: 16)
        length = .allocate(capacity: 1)
        length.initialize(to: 0)
    }

    deinit {
        storage.deallocate()
        length.deallocate()
    }

    /// Clears the storage for the next accept.
    func prepare() {
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: Self.storageSize)
        length.pointee = socklen_t(Self.storageSize)
    }

    /// The address the finished accept wrote (nil if it failed or wrote none).
    func address(succeeded: Bool) -> SocketAddress? {
        guard succeeded, length.pointee > 0 else { return nil }
        return SocketAddress(storage: storage)
    }
}
