import CLiburing
import Glibc

/// One shard's block of memory for receive buffers and chunks, backed by 2 MiB huge pages when the
/// host has them.
///
/// Huge pages keep the TLB footprint of buffer memory small and are never swapped. When none are
/// available (vm.nr_hugepages is 0, or no hugetlbfs mount) the slab falls back to ordinary pages and
/// says so once, with the fix, through `backing`.
///
/// Safety: the mapping is owned exclusively and unmapped in `deinit`. Ranges handed out by `carve` are
/// never returned individually; their owners (`BufferRing`, `ChunkPool`) must not outlive the slab,
/// which the shard guarantees by tearing them down first.
public final class HugePageSlab {
    /// Where the memory came from.
    public enum Backing: Equatable, Sendable, CustomStringConvertible {
        case hugePages
        case hugetlbfs(path: String)
        case normalPages(reason: String)

        public var isHuge: Bool {
            if case .normalPages = self { return false }
            return true
        }

        public var description: String {
            switch self {
            case .hugePages: return "huge pages (MAP_HUGETLB, 2 MiB)"
            case .hugetlbfs(let path): return "hugetlbfs file at \(path)"
            case .normalPages(let reason): return "normal pages (\(reason))"
            }
        }
    }

    public static let hugePageSize = 2 << 20

    public let byteCount: Int
    public let backing: Backing
    let base: UnsafeMutableRawPointer
    private var carvedByteCount = 0

    /// Maps `requestedByteCount` (rounded up to 2 MiB). `hugePages: false` skips straight to normal pages.
    public init(byteCount requestedByteCount: Int, hugePages: Bool = true, hugetlbfsDirectory: String? = nil)
        throws(SystemError)
    {
        let size = (requestedByteCount + Self.hugePageSize - 1) / Self.hugePageSize * Self.hugePageSize
        byteCount = size
        var reason = "huge pages disabled by configuration"
        if hugePages {
            if let directory = hugetlbfsDirectory {
                switch Self.mapHugetlbfsFile(directory: directory, byteCount: size) {
                case .success(let pointer):
                    base = pointer
                    backing = .hugetlbfs(path: directory)
                    return
                case .failure(let error):
                    reason = "hugetlbfs at \(directory): \(error)"
                }
            } else {
                let pointer = CLiburing_mmap_huge_2mb(size)
                if let pointer, pointer != MAP_FAILED {
                    base = pointer
                    backing = .hugePages
                    return
                }
                reason =
                    "MAP_HUGETLB failed: \(SystemError("mmap", errno: errno)); reserve pages with "
                    + "`echo N > /proc/sys/vm/nr_hugepages` (N ≥ \(size / Self.hugePageSize) per shard)"
            }
        }
        // Not populated: what `carve(populate: true)` hands out (receive buffers, which the kernel cycles
        // through under load anyway) is faulted in then, off the hot path; the chunk pool's runs are carved
        // as chunks are needed and cost pages only once used — 12 MiB of a 16 MiB slab that 1,000,000 idle
        // connections never touched used to be resident from startup.
        let pointer = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let pointer, pointer != MAP_FAILED else { throw SystemError("mmap(\(size))", errno: errno) }
        base = pointer
        backing = .normalPages(reason: reason)
    }

    private static func mapHugetlbfsFile(directory: String, byteCount: Int) -> Result<
        UnsafeMutableRawPointer, SystemError
    > {
        let path = directory + "/ringgate-XXXXXX"
        var template = Array(path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return .failure(SystemError("mkstemp(\(path))", errno: errno)) }
        defer { close(fd) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        guard ftruncate(fd, off_t(byteCount)) == 0 else { return .failure(SystemError("ftruncate", errno: errno)) }
        let pointer = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0)
        guard let pointer, pointer != MAP_FAILED else { return .failure(SystemError("mmap(hugetlbfs)", errno: errno)) }
        return .success(pointer)
    }

    deinit { munmap(base, byteCount) }

    /// Bytes not yet carved.
    public var remainingByteCount: Int { byteCount - carvedByteCount }

    /// Takes `count` bytes aligned to `alignment` for the lifetime of the slab, or nil when exhausted.
    /// `populate`: fault the pages in now (normal pages; huge pages are populated when mapped), for memory
    /// the kernel will write into under load, such as receive buffers.
    func carve(byteCount count: Int, alignment: Int = 64, populate: Bool = false) -> UnsafeMutableRawPointer? {
        let start = (carvedByteCount + alignment - 1) / alignment * alignment
        guard count >= 0, start + count <= byteCount else { return nil }
        carvedByteCount = start + count
        if populate && !backing.isHuge && count > 0 {
            let pageSize = 4_096
            let first = start / pageSize * pageSize
            let end = (start + count + pageSize - 1) / pageSize * pageSize
            // MADV_POPULATE_WRITE (Linux 5.14); an older kernel refuses it and the pages fault in on first use.
            _ = madvise(base + first, min(end, byteCount) - first, Self.madvisePopulateWrite)
        }
        return base + start
    }

    private static let madvisePopulateWrite: Int32 = 23
}
