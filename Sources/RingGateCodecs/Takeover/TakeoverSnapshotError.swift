/// Why bytes received over the takeover channel were refused: a state snapshot or a control message.
///
/// Every case means the receiving side must not adopt anything from these bytes; the old process keeps
/// (or resumes) serving what it holds.
public enum TakeoverSnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes end before the value they announce (including a count or length larger than the bytes
    /// left, refused before anything is allocated for it).
    case truncated
    /// The snapshot does not start with "RGTS".
    case badMagic
    /// The snapshot's schema is outside `oldestReadableSchema...schemaVersion` of this build.
    case unsupportedSchema(UInt16)
    /// The bytes are well-formed but describe a state no shard can be in; the text says which rule.
    case invalid(String)

    public var description: String {
        switch self {
        case .truncated: "takeover state truncated"
        case .badMagic: "takeover state does not start with RGTS"
        case .unsupportedSchema(let version):
            "takeover state schema \(version) is outside the readable \(TakeoverSnapshot.oldestReadableSchema)"
                + "...\(TakeoverSnapshot.schemaVersion)"
        case .invalid(let reason): "invalid takeover state: \(reason)"
        }
    }
}
