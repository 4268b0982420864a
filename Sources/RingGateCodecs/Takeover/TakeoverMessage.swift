/// The control messages of a live takeover, exchanged over the Unix socket the old process gives the new
/// one. These are the payloads; framing and descriptor passing (SCM_RIGHTS) are done by the runtime.
///
/// Layout: one byte of kind, then the fields in order, little-endian; a string is `u32 length ‖ UTF-8`
/// (at most 64 KiB, valid UTF-8), `bytes` is `u32 length ‖ bytes`, a flag one byte 0 or 1:
///
///   1 hello            u16 schemaVersion, u16 oldestReadableSchema, i32 pid, u32 shardCount,
///                      bytes listenerFingerprint (≤ 64 KiB), string binaryVersion
///   2 accept           —
///   3 refuse           string reason
///   4 listeners        u32 clientListenersPerShard, u32 shardCount, u32 innerListeners, flag hasRegister,
///                      flag hasAdmin
///   5 shardState       u32 index, bytes snapshot, u32 descriptorCount
///   6 descriptorBatch  u32 shard, u32 count, count × u32 slots
///   7 shardAdopted     u32 index
///   8 shardRefused     u32 index, string reason
///   9 finished         —
///   10 abort           string reason
///
/// Nothing may follow the last field.
public enum TakeoverMessage: Equatable, Sendable {
    /// old → new, first: who is handing over.
    case hello(TakeoverHello)
    /// new → old: can adopt (same shard count, listeners, inner addresses and a readable schema)…
    case accept
    /// …or cannot, and why (old keeps serving).
    case refuse(reason: String)
    /// old → new: the listening sockets follow as descriptors in this message, in this order
    /// (client listeners shard-major: shard 0 listener 0, shard 0 listener 1, …; then one inner listener per
    /// shard; then the register listener and the admin listener when present).
    case listeners(TakeoverListenerSet)
    /// old → new: shard `index` state; its client sockets follow in `descriptorCount` descriptors, sent in
    /// ``descriptorBatch(shard:slots:)`` messages.
    case shardState(index: UInt32, snapshot: [UInt8], descriptorCount: UInt32)
    /// old → new: slots of the descriptors attached to this message, in attachment order.
    case descriptorBatch(shard: UInt32, slots: [UInt32])
    /// new → old: shard adopted (old may now drop its copies) / could not be (old resumes it).
    case shardAdopted(index: UInt32)
    case shardRefused(index: UInt32, reason: String)
    /// old → new: every shard handed over; old exits now.
    case finished
    /// either side: give up (the other side resumes / exits).
    case abort(reason: String)

    /// Most descriptors one message can carry: Linux's `SCM_MAX_FD` (include/net/scm.h; `sendmsg` fails
    /// with EINVAL above it). A ``listeners(_:)`` set or a ``descriptorBatch(shard:slots:)`` announcing
    /// more cannot be real and is refused.
    public static let maxDescriptorsPerMessage = 253

    /// The message's kind byte.
    enum Kind: UInt8 {
        case hello = 1, accept, refuse, listeners, shardState, descriptorBatch, shardAdopted, shardRefused
        case finished, abort
    }

    /// The message's bytes. Strings longer than 64 KiB are cut at a character boundary.
    public func encoded() -> [UInt8] {
        var writer = TakeoverWriter()
        switch self {
        case .hello(let hello):
            writer.u8(Kind.hello.rawValue)
            writer.u16(hello.schemaVersion)
            writer.u16(hello.oldestReadableSchema)
            writer.u32(UInt32(bitPattern: hello.pid))
            writer.u32(hello.shardCount)
            writer.bytes(hello.listenerFingerprint)
            writer.string(hello.binaryVersion)
        case .accept:
            writer.u8(Kind.accept.rawValue)
        case .refuse(let reason):
            writer.u8(Kind.refuse.rawValue)
            writer.string(reason)
        case .listeners(let set):
            writer.u8(Kind.listeners.rawValue)
            writer.u32(set.clientListenersPerShard)
            writer.u32(set.shardCount)
            writer.u32(set.innerListeners)
            writer.bool(set.hasRegister)
            writer.bool(set.hasAdmin)
        case .shardState(let index, let snapshot, let descriptorCount):
            writer.u8(Kind.shardState.rawValue)
            writer.u32(index)
            writer.bytes(snapshot)
            writer.u32(descriptorCount)
        case .descriptorBatch(let shard, let slots):
            writer.u8(Kind.descriptorBatch.rawValue)
            writer.u32(shard)
            writer.count(slots.count)
            for slot in slots { writer.u32(slot) }
        case .shardAdopted(let index):
            writer.u8(Kind.shardAdopted.rawValue)
            writer.u32(index)
        case .shardRefused(let index, let reason):
            writer.u8(Kind.shardRefused.rawValue)
            writer.u32(index)
            writer.string(reason)
        case .finished:
            writer.u8(Kind.finished.rawValue)
        case .abort(let reason):
            writer.u8(Kind.abort.rawValue)
            writer.string(reason)
        }
        return writer.bytes
    }
}

/// Who is handing over: the old process's schema range, identity and configuration fingerprint.
public struct TakeoverHello: Equatable, Sendable {
    /// The schema the old process writes its snapshots in.
    public var schemaVersion: UInt16
    /// The oldest schema the old process reads (for a later hand-back).
    public var oldestReadableSchema: UInt16
    /// The old process's pid (the new one reports itself as MAINPID when done).
    public var pid: Int32
    /// The old process's number of shards; the new one refuses unless it runs as many.
    public var shardCount: UInt32
    /// Opaque bytes old computes from its listener/inner config (at most 64 KiB).
    public var listenerFingerprint: [UInt8]
    /// The old binary's version text, for the log.
    public var binaryVersion: String

    /// A hello in this build's schema range by default.
    public init(
        schemaVersion: UInt16 = TakeoverSnapshot.schemaVersion,
        oldestReadableSchema: UInt16 = TakeoverSnapshot.oldestReadableSchema,
        pid: Int32,
        shardCount: UInt32,
        listenerFingerprint: [UInt8],
        binaryVersion: String
    ) {
        self.schemaVersion = schemaVersion
        self.oldestReadableSchema = oldestReadableSchema
        self.pid = pid
        self.shardCount = shardCount
        self.listenerFingerprint = listenerFingerprint
        self.binaryVersion = binaryVersion
    }

    /// Whether this build can read the snapshots the sender writes: the new process answers `refuse`
    /// when not, before anything moves.
    public var isReadableByThisBuild: Bool {
        (TakeoverSnapshot.oldestReadableSchema...TakeoverSnapshot.schemaVersion).contains(schemaVersion)
    }
}

/// Which listening sockets a ``TakeoverMessage/listeners(_:)`` message carries.
public struct TakeoverListenerSet: Equatable, Sendable {
    /// Client listeners each shard has (one SO_REUSEPORT socket per listener and shard).
    public var clientListenersPerShard: UInt32
    public var shardCount: UInt32
    /// One per shard on a GatewayWorker gateway, else 0.
    public var innerListeners: UInt32
    /// Whether the embedded Register's and the admin endpoint's listeners follow the inner ones.
    public var hasRegister: Bool
    public var hasAdmin: Bool

    /// A listener set.
    public init(
        clientListenersPerShard: UInt32, shardCount: UInt32, innerListeners: UInt32, hasRegister: Bool, hasAdmin: Bool
    ) {
        self.clientListenersPerShard = clientListenersPerShard
        self.shardCount = shardCount
        self.innerListeners = innerListeners
        self.hasRegister = hasRegister
        self.hasAdmin = hasAdmin
    }

    /// The number of descriptors attached, in the order the message documents (saturating at
    /// `UInt32.max`; a decoded set is at most ``TakeoverMessage/maxDescriptorsPerMessage``).
    public var descriptorCount: UInt32 {
        UInt32(clamping: exactDescriptorCount)
    }

    /// The count without overflow.
    var exactDescriptorCount: UInt64 {
        UInt64(clientListenersPerShard) * UInt64(shardCount) + UInt64(innerListeners) + (hasRegister ? 1 : 0)
            + (hasAdmin ? 1 : 0)
    }

    /// The descriptor's position in the message of client listener `listener` of shard `shard`. (Positions
    /// are meant for sets that decoded, at most 253 descriptors; a hand-made set of 2³² shards overflows.)
    public func clientListenerPosition(shard: UInt32, listener: UInt32) -> Int {
        Int(shard) * Int(clientListenersPerShard) + Int(listener)
    }

    /// The descriptor's position in the message of shard `shard`'s inner listener.
    public func innerListenerPosition(shard: UInt32) -> Int {
        Int(clientListenersPerShard) * Int(shardCount) + Int(shard)
    }

    /// The register listener's position, when it is carried.
    public var registerPosition: Int? {
        hasRegister ? Int(clientListenersPerShard) * Int(shardCount) + Int(innerListeners) : nil
    }

    /// The admin listener's position, when it is carried.
    public var adminPosition: Int? {
        hasAdmin ? Int(clientListenersPerShard) * Int(shardCount) + Int(innerListeners) + (hasRegister ? 1 : 0) : nil
    }
}
