import CLiburing
import Glibc

/// The owner of one io_uring instance.
///
/// Submissions are prepared through the operation methods (one file per operation) and reach the kernel
/// in one `io_uring_enter` per loop turn (`submitAndWait`), except when the submission queue fills up
/// mid-turn. Completions are copied out in batches.
///
/// Safety: the ring is created on, and used only from, its shard's thread (IORING_SETUP_SINGLE_ISSUER
/// enforces this where the kernel has it). Memory handed to the kernel (buffers, sockaddr storage,
/// timespecs) is owned by longer-lived owners (`HugePageSlab`, `ChunkPool`, `PeerNameBuffers`) and stays
/// valid until the matching completion arrives; `deinit` tears the ring down before those owners go.
///
/// Its mutable state skips Swift's runtime exclusivity checks (`@exclusivity(unchecked)`). Every access is
/// on the shard's thread, and none spans a call out of this type (liburing's inline functions do not call
/// back), so two accesses cannot overlap. The checks were the largest user-space cost of a gateway: 6% of
/// its CPU per relayed message at one message in flight (perf, 1,000 WebSocket clients), with the same
/// exemption on `ChunkPool`, `BufferRing`, `ShardLoop` and the shard's hottest tables (`ClientShard`).
public final class Ring {
    @exclusivity(unchecked)
    var ring = io_uring()
    /// The setup flags the kernel accepted, for the startup log line.
    public let setupFlags: UInt32
    /// IORING_FEAT_NODROP: the kernel keeps completions that find the completion queue full in an
    /// overflow list (flushed on the next io_uring_enter, which the loop makes every turn) instead of
    /// dropping them. Without it a burst can drop a completion and leave a connection stuck.
    public let keepsOverflowedCompletions: Bool
    /// Size of the registered (direct) file table; 0 when none.
    public private(set) var fileTableSize: UInt32 = 0
    private var completionScratch: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    private let completionBatch = 256
    /// Storage for the one tick timeout in flight (io_uring_prep_timeout reads it at issue time).
    @exclusivity(unchecked)
    var tickTimespec = __kernel_timespec()
    /// Prepared entries the kernel could not take yet; pushed first on the next submit.
    @exclusivity(unchecked)
    private var spill = SubmissionSpill()
    /// Submits the kernel refused with EAGAIN/ENOMEM/EBUSY (retried next turn), for metrics.
    @exclusivity(unchecked)
    public private(set) var submitRefusalCount: UInt64 = 0
    /// The errno of the last refused submit, for the log line.
    @exclusivity(unchecked)
    public private(set) var lastSubmitRefusal: Int32 = 0
    /// Results the next submits return instead of entering the kernel, last first (tests only: the
    /// kernel's refusals cannot be provoked on demand).
    var injectedSubmitFailures: [Int32] = []

    /// Flags tried from best to plainest: DEFER_TASKRUN runs completion work only when this thread asks
    /// for events (no IPIs, no task-work interruptions); COOP_TASKRUN is the 5.19 fallback.
    private static let flagPreferences: [UInt32] = [
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN
            | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        0,
    ]

    /// Flags for a ring whose descriptor another ring polls (a shard's upstream ring, the other shards of a
    /// thread). DEFER_TASKRUN is left out: such a ring posts completions only when its owner enters it, so a
    /// poll on its descriptor armed in another ring never fires (measured on Linux 6.18).
    ///
    /// COOP_TASKRUN is kept: without it every completion the peer's side queues while the thread runs is
    /// an inter-processor interrupt (TWA_SIGNAL) — `perf` put 31% of the gateway's CPU in reschedule-IPI
    /// entry and exit during a connect burst on 58 shards. With it the work waits for the thread's next
    /// system call, and a sleeping thread is still woken (TWA_SIGNAL_NO_IPI only skips the interrupt of a
    /// running one). It was once blamed for handshakes timing out with 7 shards on one thread; we found
    /// receives starved of buffers (see `ClientShard.armFirstReceive`) and a load generator that did not
    /// bound handshakes in flight behind such timeouts. With those fixed, 100,000 connects on 6, 7 and 58
    /// shards on one thread established every one, at 23–24k/s with it against 16–21k/s without.
    private static let pollableFlagPreferences: [UInt32] = [
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_SUBMIT_ALL,
        0,
    ]

    /// Creates a ring with `entries` submission slots and `completionEntries` completion slots
    /// (multishot operations post many completions per submission). `pollable`: another ring will wait
    /// for this one's completions by polling its descriptor.
    public init(entries: UInt32, completionEntries: UInt32, pollable: Bool = false) throws(SystemError) {
        var lastError: Int32 = 0
        var accepted: UInt32?
        var features: UInt32 = 0
        for flags in pollable ? Self.pollableFlagPreferences : Self.flagPreferences {
            var params = io_uring_params()
            params.flags = flags | IORING_SETUP_CQSIZE
            params.cq_entries = completionEntries
            let result = io_uring_queue_init_params(entries, &ring, &params)
            if result == 0 {
                features = params.features
                accepted = flags
                break
            }
            lastError = -result
        }
        guard let flags = accepted else { throw SystemError("io_uring_setup", errno: lastError) }
        setupFlags = flags
        keepsOverflowedCompletions = features & IORING_FEAT_NODROP != 0
        completionScratch = .allocate(capacity: completionBatch)
    }

    deinit {
        io_uring_queue_exit(&ring)
        completionScratch.deallocate()
        spill.deallocate()
    }

    /// The ring's own descriptor (pollable: readable when completions are waiting).
    public var descriptor: Int32 { ring.ring_fd }

    /// Registers a sparse table of `count` direct descriptors; accepts allocate into it.
    public func registerFileTable(count: UInt32) throws(SystemError) {
        _ = try checkedLiburing(
            "io_uring_register_files_sparse(\(count))", io_uring_register_files_sparse(&ring, count))
        fileTableSize = count
    }

    /// Whether the kernel supports `opcode` (io_uring_register(2) IORING_REGISTER_PROBE).
    public func supports(opcode: io_uring_op) -> Bool {
        guard let probe = io_uring_get_probe_ring(&ring) else { return false }
        defer { io_uring_free_probe(probe) }
        return io_uring_opcode_supported(probe, Int32(opcode.rawValue)) != 0
    }

    /// A free submission entry. When the queue is full it submits what is queued; when the kernel takes
    /// nothing now (EAGAIN/ENOMEM/EBUSY under memory pressure or a completion backlog) the entry is
    /// prepared in the user-space spill list instead and reaches the kernel on a later turn. The pointer
    /// is valid only until the next call (the spill list may move when it grows).
    @inline(__always)
    func nextSubmission() -> UnsafeMutablePointer<io_uring_sqe> {
        if spill.isEmpty, let sqe = io_uring_get_sqe(&ring) { return sqe }
        if spill.isEmpty {
            noteSubmitResult(enterSubmit())
            if let sqe = io_uring_get_sqe(&ring) { return sqe }
        }
        return spill.append()
    }

    /// Submits everything prepared this turn (spilled entries first) and waits for at least
    /// `minimumCompletions`. Returns `-errno` for EINTR/ETIME/EAGAIN/ENOMEM/EBUSY rather than throwing:
    /// the loop goes on and whatever the kernel did not take is submitted again next turn.
    @discardableResult
    public func submitAndWait(minimumCompletions: UInt32 = 1) -> Int32 {
        guard moveSpillIntoQueue() else { return noteSubmitResult(-EAGAIN) }
        if let injected = injectedSubmitFailures.popLast() { return noteSubmitResult(injected) }
        return noteSubmitResult(io_uring_submit_and_wait(&ring, minimumCompletions))
    }

    /// Submits without waiting (spilled entries first); `-errno` as `submitAndWait`.
    @discardableResult
    public func submit() -> Int32 {
        guard moveSpillIntoQueue() else { return noteSubmitResult(-EAGAIN) }
        return noteSubmitResult(enterSubmit())
    }

    /// Entries prepared but not yet taken by the kernel's submission queue.
    public var spilledCount: Int { spill.count }

    private func enterSubmit() -> Int32 {
        if let injected = injectedSubmitFailures.popLast() { return injected }
        return io_uring_submit(&ring)
    }

    /// Moves spilled entries, oldest first, into the submission queue, entering the kernel when the
    /// queue fills. False when the kernel refused and entries are still spilled.
    private func moveSpillIntoQueue() -> Bool {
        var moved = 0
        defer { spill.removeFirst(moved) }
        while moved < spill.count {
            guard let sqe = io_uring_get_sqe(&ring) else {
                guard noteSubmitResult(enterSubmit()) > 0 else { return false }
                continue
            }
            sqe.pointee = spill[moved]
            moved += 1
        }
        return true
    }

    /// A submit result that means "not now" (EAGAIN/ENOMEM/EBUSY): whatever the kernel did not take stays
    /// queued or spilled for the next turn.
    public static func isRefusal(_ result: Int32) -> Bool { result == -EAGAIN || result == -ENOMEM || result == -EBUSY }

    /// Counts refused submissions (the entries stay queued or spilled and go in on a later turn).
    @discardableResult
    private func noteSubmitResult(_ result: Int32) -> Int32 {
        if Self.isRefusal(result) {
            submitRefusalCount &+= 1
            lastSubmitRefusal = -result
        }
        return result
    }

    /// Copies out up to one batch of completions, marks them seen, and hands each to `body`.
    /// Returns how many were handled (0 when the completion queue is empty).
    @inline(__always)
    public func drainCompletions(_ body: (Completion) -> Void) -> Int {
        let count = Int(io_uring_peek_batch_cqe(&ring, completionScratch, UInt32(completionBatch)))
        for index in 0..<count {
            let cqe = completionScratch[index]!.pointee
            body(Completion(tag: CompletionTag(rawValue: cqe.user_data), result: cqe.res, flags: cqe.flags))
        }
        if count > 0 { io_uring_cq_advance(&ring, UInt32(count)) }
        return count
    }

    /// Whether the completion queue overflowed at some point (completions were kept by the kernel in
    /// its overflow list; a metric, not an error on kernels with IORING_FEAT_NODROP).
    public var hasOverflowed: Bool { io_uring_cq_has_overflow(&ring) }

    /// Completions the kernel dropped because the completion queue was full (only on kernels without
    /// IORING_FEAT_NODROP, or when its overflow list could not grow).
    public var droppedCompletionCount: UInt32 { ring.cq.koverflow.pointee }
}
