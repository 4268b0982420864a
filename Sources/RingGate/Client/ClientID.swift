/// Identity of a client connection inside one shard: its table slot (which is also its direct-descriptor
/// index) and the slot's generation, so an id kept after the client left never reaches the next
/// connection in that slot.
public struct ClientID: Hashable, Sendable, CustomStringConvertible {
    public var slot: UInt32
    public var generation: UInt32

    public init(slot: UInt32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }

    public var description: String { "\(slot)#\(generation)" }
}
