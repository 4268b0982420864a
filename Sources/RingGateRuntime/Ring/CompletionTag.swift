/// What a submission was for; the top byte of its `user_data`.
///
/// A struct rather than an enum so that the gateway layer can define kinds of its own (worker links,
/// register client) without the runtime knowing them.
public struct OperationKind: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let accept = OperationKind(rawValue: 1)
    public static let receive = OperationKind(rawValue: 2)
    public static let send = OperationKind(rawValue: 3)
    public static let shutdown = OperationKind(rawValue: 4)
    public static let close = OperationKind(rawValue: 5)
    public static let peerName = OperationKind(rawValue: 6)
    public static let tick = OperationKind(rawValue: 7)
    public static let wakeup = OperationKind(rawValue: 8)
    public static let cancel = OperationKind(rawValue: 9)
    /// The main ring's poll on a shard's upstream ring descriptor.
    public static let upstreamReady = OperationKind(rawValue: 10)
    public static let socket = OperationKind(rawValue: 11)
    public static let connect = OperationKind(rawValue: 12)
    /// The primary ring's poll on the descriptor of another shard's ring of the same thread.
    public static let memberRingReady = OperationKind(rawValue: 13)
    /// First value free for the layers above the runtime.
    public static let firstUserKind: UInt8 = 32
}

/// `user_data` of every submission: | kind: 8 | generation: 24 | slot: 32 |.
///
/// A slot's generation changes on reuse, so a late completion for its previous occupant is recognised
/// and dropped instead of reaching the new connection.
public struct CompletionTag: Hashable, Sendable {
    public var kind: OperationKind
    /// Only the low 24 bits travel through the kernel.
    public var generation: UInt32
    public var slot: UInt32

    public init(kind: OperationKind, generation: UInt32 = 0, slot: UInt32 = 0) {
        self.kind = kind
        self.generation = generation & 0xFF_FFFF
        self.slot = slot
    }

    public init(rawValue: UInt64) {
        kind = OperationKind(rawValue: UInt8(truncatingIfNeeded: rawValue >> 56))
        generation = UInt32(truncatingIfNeeded: rawValue >> 32) & 0xFF_FFFF
        slot = UInt32(truncatingIfNeeded: rawValue)
    }

    public var rawValue: UInt64 {
        UInt64(kind.rawValue) << 56 | UInt64(generation & 0xFF_FFFF) << 32 | UInt64(slot)
    }
}
