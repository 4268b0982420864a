import RingGateRuntime

/// Operation kinds of a live takeover on the client ring.
extension OperationKind {
    /// IORING_OP_FIXED_FD_INSTALL of a paused client's direct descriptor (slot in the tag).
    static let descriptorInstall = OperationKind(rawValue: OperationKind.firstUserKind + 8)
}

/// What one shard exported for a takeover: its state and the slots whose sockets go with it.
public struct ShardExport: Sendable {
    /// `TakeoverSnapshot.encoded()`.
    public var snapshot: [UInt8]
    /// The client slots in the snapshot, whose descriptors `ClientShard.installDescriptors` makes.
    public var slots: [UInt32]
}

/// A shard's part in a live takeover (`ringgate upgrade`), on either side.
struct ShardTakeoverState {
    enum Role: Equatable {
        /// Serving normally.
        case none
        /// Old process: accepts stopped, clients being paused, worker links closing.
        case handingOver
        /// Old process: every client paused and the state exported; waiting for the new process's answer.
        case exported
        /// Old process: the clients belong to the new process; this shard is empty and accepts nothing
        /// (until the process exits, or a failed takeover has it accept again).
        case handedOver
        /// New process: started without accepting, waiting for the old process's state of this shard.
        case awaitingAdoption
    }

    var role = Role.none
    /// When the handover began (shard clock), for the pause figures and the deadline.
    var startedAt: UInt64 = 0
    /// The latest time the clients may take to pause and the worker links to close.
    var deadline: UInt64 = 0
    /// Called once, on the shard's thread, when the shard is quiesced (or could not be).
    var quiesced: (@Sendable (Result<ShardExport, TakeoverError>) -> Void)?
    /// Descriptor installs in flight: slot → position in `installed`.
    var pendingInstalls: [UInt32: Int] = [:]
    var installed: [Int32] = []
    var installsReply: (@Sendable (Result<[Int32], TakeoverError>) -> Void)?
    var installFailure: Int32 = 0

    /// New process: slots whose sockets were placed in the file table, before the state that uses them.
    var placedSlots = Set<UInt32>()

    /// Whether the shard takes new clients and workers.
    var accepts: Bool { role == .none }
}

/// Why a takeover step failed; the message goes to the log and the `ringgate upgrade` output.
public struct TakeoverError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
