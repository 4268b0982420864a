import CLiburing
import Glibc

/// The load generator's io_uring: one per generator process, used by its one thread.
///
/// Connections live only as direct descriptors: each socket is created and bound with ordinary calls,
/// moved into the ring's sparse file table (io_uring_register_files_update(3)) and its ordinary
/// descriptor closed at once, so a process holds a full table (RLIMIT_NOFILE entries) of connections
/// while using a handful of ordinary descriptors. Receives are multishot from one provided-buffer ring,
/// so an idle connection holds no buffer; sends of constant frames skip their success completion.
///
/// Safety: every pointer handed to the kernel (send bytes, connect addresses, buffer ring memory) is
/// owned by this object or by the engine, which outlives the ring's in-flight operations.
final class ClientRing {
    private var ring = io_uring()
    private var completionScratch: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    private let completionBatch = 512
    let fileTableSize: UInt32
    private let bufferEntries: UnsafeMutablePointer<io_uring_buf_ring>
    private let bufferEntriesByteCount: Int
    private let buffers: UnsafeMutableRawPointer
    let bufferCount: Int
    let bufferSize: Int
    private let bufferMask: Int32
    private var pendingBufferReturns: Int32 = 0
    static let bufferGroup: UInt16 = 1
    /// Whether the kernel takes a minimum wait in io_uring_enter's extended argument (Linux 6.12+).
    let supportsMinimumWait: Bool
    /// IORING_FEAT_MIN_TIMEOUT, newer than Debian 12's liburing headers.
    private static let featureMinimumTimeout: UInt32 = 1 << 15

    init(fileTableSize: UInt32, bufferCount: Int = 4096, bufferSize: Int = 4096) throws(GeneratorError) {
        var params = io_uring_params()
        params.flags =
            IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN
        params.cq_entries = 65536
        var result = io_uring_queue_init_params(4096, &ring, &params)
        if result < 0 {
            params = io_uring_params()
            params.flags = IORING_SETUP_CQSIZE
            params.cq_entries = 65536
            result = io_uring_queue_init_params(4096, &ring, &params)
        }
        guard result == 0 else { throw GeneratorError("io_uring_queue_init", errno: -result) }
        supportsMinimumWait = params.features & Self.featureMinimumTimeout != 0
        completionScratch = .allocate(capacity: completionBatch)
        result = io_uring_register_files_sparse(&ring, fileTableSize)
        guard result == 0 else {
            throw GeneratorError(
                "io_uring_register_files_sparse(\(fileTableSize)) (the table is capped by RLIMIT_NOFILE)",
                errno: -result)
        }
        self.fileTableSize = fileTableSize
        self.bufferCount = bufferCount
        self.bufferSize = bufferSize
        guard let memory = malloc(bufferCount * bufferSize) else { throw GeneratorError("malloc", errno: ENOMEM) }
        buffers = memory
        bufferEntriesByteCount = (bufferCount * MemoryLayout<io_uring_buf>.stride + 4095) / 4096 * 4096
        let raw = mmap(nil, bufferEntriesByteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let raw, raw != MAP_FAILED else { throw GeneratorError("mmap(buffer ring)", errno: errno) }
        bufferEntries = raw.bindMemory(to: io_uring_buf_ring.self, capacity: 1)
        bufferMask = io_uring_buf_ring_mask(UInt32(bufferCount))
        io_uring_buf_ring_init(bufferEntries)
        var registration = io_uring_buf_reg()
        registration.ring_addr = UInt64(UInt(bitPattern: raw))
        registration.ring_entries = UInt32(bufferCount)
        registration.bgid = Self.bufferGroup
        result = io_uring_register_buf_ring(&ring, &registration, 0)
        guard result == 0 else { throw GeneratorError("io_uring_register_buf_ring", errno: -result) }
        for id in 0..<bufferCount {
            io_uring_buf_ring_add(
                bufferEntries, buffers + id * bufferSize, UInt32(bufferSize), UInt16(id), bufferMask, Int32(id))
        }
        io_uring_buf_ring_advance(bufferEntries, Int32(bufferCount))
    }

    deinit {
        io_uring_queue_exit(&ring)
        munmap(UnsafeMutableRawPointer(bufferEntries), bufferEntriesByteCount)
        free(buffers)
        completionScratch.deallocate()
    }

    private func nextSubmission() -> UnsafeMutablePointer<io_uring_sqe> {
        if let sqe = io_uring_get_sqe(&ring) { return sqe }
        _ = io_uring_submit(&ring)
        guard let sqe = io_uring_get_sqe(&ring) else { preconditionFailure("submission queue full after submit") }
        return sqe
    }

    /// Puts ordinary descriptors `fds` into table slots `first..<first+count`; the caller closes them after.
    func install(descriptors fds: UnsafeMutablePointer<Int32>, count: Int, at first: UInt32) throws(GeneratorError) {
        let result = io_uring_register_files_update(&ring, first, fds, UInt32(count))
        guard result == Int32(count) else {
            throw GeneratorError("io_uring_register_files_update", errno: result < 0 ? -result : EIO)
        }
    }

    func connect(slot: UInt32, address: UnsafePointer<sockaddr_in>, userData: UInt64) {
        let sqe = nextSubmission()
        address.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            io_uring_prep_connect(sqe, Int32(bitPattern: slot), pointer, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
        sqe.pointee.flags |= CLiburing_IOSQE_FIXED_FILE
        sqe.pointee.user_data = userData
    }

    /// Sends constant bytes; only a failure posts a completion (IOSQE_CQE_SKIP_SUCCESS).
    func send(slot: UInt32, bytes: UnsafeRawPointer, count: Int, userData: UInt64) {
        let sqe = nextSubmission()
        io_uring_prep_send(sqe, Int32(bitPattern: slot), bytes, count, Int32(MSG_NOSIGNAL))
        sqe.pointee.flags |= CLiburing_IOSQE_FIXED_FILE | CLiburing_IOSQE_CQE_SKIP_SUCCESS
        sqe.pointee.user_data = userData
    }

    func receiveMultishot(slot: UInt32, userData: UInt64) {
        let sqe = nextSubmission()
        io_uring_prep_recv_multishot(sqe, Int32(bitPattern: slot), nil, 0, 0)
        sqe.pointee.flags |= CLiburing_IOSQE_FIXED_FILE | CLiburing_IOSQE_BUFFER_SELECT
        sqe.pointee.buf_group = Self.bufferGroup
        sqe.pointee.user_data = userData
    }

    /// Cancels the connection's multishot receive, then closes its direct descriptor. The cancel comes
    /// first because an armed receive holds a reference to the socket: closing the table slot alone
    /// would leave the socket open. SO_LINGER 0 makes the close an RST (no TIME_WAIT pile-up).
    func cancelAndClose(slot: UInt32, receiveUserData: UInt64, closeUserData: UInt64) {
        let cancel = nextSubmission()
        io_uring_prep_cancel64(cancel, receiveUserData, 0)
        cancel.pointee.flags |= ioHardLink | CLiburing_IOSQE_CQE_SKIP_SUCCESS
        cancel.pointee.user_data = 0
        let close = nextSubmission()
        io_uring_prep_close_direct(close, slot)
        close.pointee.user_data = closeUserData
    }

    func pollReadableMultishot(descriptor: Int32, userData: UInt64) {
        let sqe = nextSubmission()
        io_uring_prep_poll_multishot(sqe, descriptor, UInt32(POLLIN))
        sqe.pointee.user_data = userData
    }

    /// Submits and waits for one completion or `timeoutNanoseconds`.
    func submitAndWait(timeoutNanoseconds: Int64) {
        var timeout = __kernel_timespec(
            tv_sec: timeoutNanoseconds / 1_000_000_000, tv_nsec: timeoutNanoseconds % 1_000_000_000)
        var cqe: UnsafeMutablePointer<io_uring_cqe>?
        _ = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &timeout, nil)
    }

    /// Submits, then sleeps until `batch` completions are pending or `minimumWaitMicroseconds` have
    /// passed, whichever comes first; when that wait ends with nothing pending, it goes on until one
    /// completion or `timeoutNanoseconds`.
    ///
    /// Why: a thread sleeping for one completion is woken by whoever completes it, so on loopback every
    /// message the server sends to a sleeping generator also pays the generator's wake-up on the
    /// server's CPU. Waiting for a batch with a deadline moves that wake-up to the generator's own timer,
    /// as a client on another host would cost the server nothing to wake. Falls back to one completion
    /// where the kernel lacks minimum waits.
    func submitAndWait(timeoutNanoseconds: Int64, batch: UInt32, minimumWaitMicroseconds: UInt32) {
        guard supportsMinimumWait, batch > 1, minimumWaitMicroseconds > 0 else {
            return submitAndWait(timeoutNanoseconds: timeoutNanoseconds)
        }
        _ = io_uring_submit(&ring)
        var timeout = __kernel_timespec(
            tv_sec: timeoutNanoseconds / 1_000_000_000, tv_nsec: timeoutNanoseconds % 1_000_000_000)
        withUnsafeMutablePointer(to: &timeout) { timeoutPointer in
            // `pad` is min_wait_usec since Linux 6.12; the sigmask size is the kernel's (_NSIG / 8).
            var argument = io_uring_getevents_arg(
                sigmask: 0, sigmask_sz: 8, pad: minimumWaitMicroseconds,
                ts: UInt64(UInt(bitPattern: timeoutPointer)))
            withUnsafeMutablePointer(to: &argument) { argumentPointer in
                _ = io_uring_enter2(
                    UInt32(ring.ring_fd), 0, batch, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                    UnsafeMutableRawPointer(argumentPointer).assumingMemoryBound(to: sigset_t.self),
                    MemoryLayout<io_uring_getevents_arg>.size)
            }
        }
    }

    func submit() { _ = io_uring_submit(&ring) }

    /// Hands every waiting completion to `body` (user_data, result, flags).
    @inline(__always)
    func drain(_ body: (UInt64, Int32, UInt32) -> Void) -> Int {
        var total = 0
        while true {
            let count = Int(io_uring_peek_batch_cqe(&ring, completionScratch, UInt32(completionBatch)))
            if count == 0 { return total }
            for index in 0..<count {
                let cqe = completionScratch[index]!.pointee
                body(cqe.user_data, cqe.res, cqe.flags)
            }
            io_uring_cq_advance(&ring, UInt32(count))
            total += count
            publishBuffers()
        }
    }

    /// The received bytes in buffer `id`, valid until `recycle(id)`.
    @inline(__always)
    func receivedBytes(id: UInt16, count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffers + Int(id) * bufferSize, count: count)
    }

    @inline(__always)
    func recycle(id: UInt16) {
        io_uring_buf_ring_add(
            bufferEntries, buffers + Int(id) * bufferSize, UInt32(bufferSize), id, bufferMask, pendingBufferReturns)
        pendingBufferReturns += 1
    }

    func publishBuffers() {
        guard pendingBufferReturns > 0 else { return }
        io_uring_buf_ring_advance(bufferEntries, pendingBufferReturns)
        pendingBufferReturns = 0
    }
}

/// A setup failure in the generator, with the call and errno.
public struct GeneratorError: Error, CustomStringConvertible {
    public var operation: String
    public var errno: Int32
    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }
    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

/// IOSQE_IO_HARDLINK (1 << IOSQE_IO_HARDLINK_BIT, bit 3 in linux/io_uring.h): the next entry runs even
/// when this one fails, so the close happens whether or not a receive was still armed to cancel.
private let ioHardLink: UInt8 = 1 << 3
