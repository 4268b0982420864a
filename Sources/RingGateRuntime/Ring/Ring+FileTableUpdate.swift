import CLiburing
import Glibc

extension Ring {
    /// Places ordinary descriptors into the registered file table at `offset`, `offset+1`, … (io_uring_register
    /// IORING_REGISTER_FILES_UPDATE); the ring holds its own reference, the caller still closes its fds.
    /// Throws SystemError naming the offset when the kernel refuses (EBADF, EINVAL past the table, ENOMEM…).
    ///
    /// A slot that is occupied is replaced (the kernel drops its old file). The kernel stops at the first
    /// descriptor it cannot take and reports how many it placed (io_uring/rsrc.c `__io_sqe_files_update`), so a
    /// short count is followed by a call for the rest, which names the refused slot's errno. Slots placed before
    /// a refusal stay placed. A negative descriptor is refused here: the kernel would read -1 as "empty the
    /// slot" and -2 as "skip it".
    ///
    /// Call it on the ring's own thread: a single-issuer ring refuses registration from any other task with
    /// EEXIST (io_uring/register.c), so a new process registers each shard's descriptors on that shard's thread.
    public func registerFiles(_ descriptors: [Int32], at offset: UInt32) throws(SystemError) {
        if let bad = descriptors.firstIndex(where: { $0 < 0 }) {
            throw SystemError("io_uring_register_files_update(slot \(UInt64(offset) + UInt64(bad)))", errno: EBADF)
        }
        guard UInt64(offset) + UInt64(descriptors.count) <= UInt64(UInt32.max) else {
            throw SystemError("io_uring_register_files_update(slot \(offset))", errno: EINVAL)
        }
        var placed = 0
        while placed < descriptors.count {
            let slot = offset + UInt32(placed)
            let result = descriptors.withUnsafeBufferPointer { buffer in
                io_uring_register_files_update(
                    &ring, slot, buffer.baseAddress! + placed, UInt32(buffer.count - placed))
            }
            if result == -EINTR { continue }
            guard result > 0 else {
                throw SystemError("io_uring_register_files_update(slot \(slot))", errno: result < 0 ? -result : EIO)
            }
            placed += Int(result)
        }
    }

    /// Same, one descriptor per given slot (slots need not be contiguous; contiguous runs go in one call).
    public func registerFiles(_ placements: [(slot: UInt32, descriptor: Int32)]) throws(SystemError) {
        var start = 0
        while start < placements.count {
            var end = start + 1
            while end < placements.count, placements[end - 1].slot != UInt32.max,
                placements[end].slot == placements[end - 1].slot + 1
            {
                end += 1
            }
            try registerFiles(placements[start..<end].map(\.descriptor), at: placements[start].slot)
            start = end
        }
    }
}
