/// One message on a `HandoverChannel`: bytes, and the descriptors that travelled with them.
///
/// Received descriptors belong to the receiver, which must close them (or hand them to an owner such as a
/// ring's file table, then close its copies).
public struct HandoverMessage: Sendable {
    public var payload: [UInt8]
    public var descriptors: [Int32]

    public init(payload: [UInt8], descriptors: [Int32] = []) {
        self.payload = payload
        self.descriptors = descriptors
    }
}

/// Why `HandoverChannel.receive` produced no message. Whatever descriptors had arrived are closed already.
public enum HandoverChannelError: Error, Equatable, CustomStringConvertible {
    /// The peer closed the channel at a message boundary (the orderly end).
    case closed
    /// Nothing (more) arrived within the timeout.
    case timedOut
    /// The peer closed the channel in the middle of a message.
    case truncated
    /// A header announced this many payload bytes, more than `HandoverChannel.maxPayloadBytes`; nothing was
    /// allocated for it.
    case tooLarge(Int)
    /// The descriptors that arrived do not match the header's count (more, fewer, some attached to payload
    /// bytes, or a count above `HandoverChannel.maxDescriptorsPerMessage`).
    case descriptorMismatch
    /// A system call failed.
    case system(SystemError)

    public var description: String {
        switch self {
        case .closed: return "handover channel closed by the peer"
        case .timedOut: return "handover channel: timed out waiting for the peer"
        case .truncated: return "handover channel closed by the peer in the middle of a message"
        case .tooLarge(let length):
            return "handover message of \(length) bytes exceeds the limit of \(HandoverChannel.maxPayloadBytes)"
        case .descriptorMismatch: return "handover message's descriptors do not match its header"
        case .system(let error): return "handover channel: \(error)"
        }
    }
}
