import CLiburing
import Glibc

/// The channel between the running process (old) and its successor (new) during a live takeover: a connected
/// AF_UNIX stream socket carrying framed messages and descriptors.
///
/// Wire format, one message: `u32 BE payload length ‖ u32 BE descriptor count ‖ payload`. The descriptors travel
/// as SCM_RIGHTS on the sendmsg that carries the 8-byte header. A stream socket rather than SOCK_SEQPACKET: a
/// shard's state can be tens of MB, more than one datagram may hold.
///
/// Why the receiver cannot lose descriptors: on an AF_UNIX stream, descriptors are attached to the bytes of the
/// sendmsg that carried them, and one recvmsg never reads past a segment that carried descriptors
/// (net/unix/af_unix.c, `unix_stream_read_generic`). The receiver asks for exactly the header's remaining bytes,
/// then exactly the payload's, so it never consumes part of the next message; its header read has room for
/// SCM_MAX_FD (253) descriptors, so a peer that sends more than it announced is seen (and refused) instead of
/// having the kernel drop them silently. Payload reads carry no control buffer: descriptors attached to payload
/// bytes are closed by the kernel and reported with MSG_CTRUNC, which is a protocol error here.
///
/// Safety: the descriptor is owned by this object alone and closed once, in `deinit`. One thread may send while
/// another receives (the kernel serialises each direction); two concurrent senders would interleave messages.
public final class HandoverChannel: Sendable {
    public let descriptor: Int32
    public static let maxDescriptorsPerMessage = 250
    /// A bigger length is a protocol error, not an allocation.
    public static let maxPayloadBytes = 1 << 30
    /// SCM_MAX_FD (include/net/scm.h): the most descriptors one sendmsg can carry.
    static let kernelMaxDescriptors = 253
    static let headerByteCount = 8
    /// The payload buffer grows with what arrived (doubling from this size), so a header announcing a large
    /// message the peer never sends costs no memory.
    static let initialPayloadCapacity = 65_536

    /// A connected pair (socketpair, CLOEXEC): one end stays here, the other goes to the child.
    public static func pair() throws(SystemError) -> (HandoverChannel, HandoverChannel) {
        var descriptors: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        _ = try retryingSyscall("socketpair(AF_UNIX, SOCK_STREAM)") { socketpair(AF_UNIX, type, 0, &descriptors) }
        return (HandoverChannel(adopting: descriptors[0]), HandoverChannel(adopting: descriptors[1]))
    }

    /// Takes ownership of a connected AF_UNIX stream socket (the child's end, inherited).
    public init(adopting descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Clears FD_CLOEXEC so that a spawned child inherits it (the child's end only).
    public func keepAcrossExec() throws(SystemError) {
        let flags = try retryingSyscall("fcntl(F_GETFD)") { fcntl(descriptor, F_GETFD) }
        _ = try retryingSyscall("fcntl(F_SETFD)") { fcntl(descriptor, F_SETFD, flags & ~FD_CLOEXEC) }
    }

    /// Blocking send of one message (loops over partial writes, EINTR); throws on EPIPE etc.
    public func send(_ payload: [UInt8], descriptors: [Int32] = []) throws(SystemError) {
        try send(payload, descriptors: descriptors, timeoutMilliseconds: -1)
    }

    /// Send of one message that gives up with ETIMEDOUT when the peer takes nothing for `timeoutMilliseconds`
    /// (-1: wait forever), so that a successor that hangs without exiting cannot block the sender forever.
    /// After a timeout the stream is mid-message: the channel is only good for closing.
    public func send(_ payload: [UInt8], descriptors: [Int32] = [], timeoutMilliseconds: Int32) throws(SystemError) {
        guard descriptors.count <= Self.maxDescriptorsPerMessage else {
            throw SystemError(
                "handover send: \(descriptors.count) descriptors (at most \(Self.maxDescriptorsPerMessage))",
                errno: EINVAL)
        }
        guard payload.count <= Self.maxPayloadBytes else {
            throw SystemError(
                "handover send: \(payload.count) bytes (at most \(Self.maxPayloadBytes))", errno: EMSGSIZE)
        }
        var header = [UInt8](repeating: 0, count: Self.headerByteCount)
        Self.storeBigEndian(UInt32(payload.count), into: &header, at: 0)
        Self.storeBigEndian(UInt32(descriptors.count), into: &header, at: 4)
        var sent = try sendHeader(header, descriptors: descriptors, timeoutMilliseconds: timeoutMilliseconds)
        while sent < header.count {
            sent += try sendPart(header, from: sent, timeoutMilliseconds: timeoutMilliseconds)
        }
        sent = 0
        while sent < payload.count {
            sent += try sendPart(payload, from: sent, timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    /// The first sendmsg: as much of the header as the kernel takes, with every descriptor attached.
    private func sendHeader(_ header: [UInt8], descriptors: [Int32], timeoutMilliseconds: Int32) throws(SystemError)
        -> Int
    {
        let deadline = MonotonicDeadline(milliseconds: timeoutMilliseconds)
        while true {
            let result = Self.sendMessage(
                on: descriptor, header, descriptors: descriptors, flags: Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            if result >= 0 { return result }
            try handleSendFailure(errno, deadline: deadline)
        }
    }

    /// One sendmsg(2) of `bytes` with `descriptors` attached (SCM_RIGHTS); the kernel's result, errno set when
    /// negative. Also what the tests use to play a misbehaving peer.
    package static func sendMessage(on socket: Int32, _ bytes: [UInt8], descriptors: [Int32], flags: Int32) -> Int {
        let controlLength = descriptors.isEmpty ? 0 : CLiburing_scm_rights_space(Int32(descriptors.count))
        let control = UnsafeMutableRawPointer.allocate(byteCount: max(controlLength, 1), alignment: 8)
        defer { control.deallocate() }
        if controlLength > 0 {
            descriptors.withUnsafeBufferPointer {
                CLiburing_fill_scm_rights(control, controlLength, $0.baseAddress, Int32($0.count))
            }
        }
        var copy = bytes
        return copy.withUnsafeMutableBytes { buffer in
            var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = controlLength > 0 ? control : nil
                message.msg_controllen = controlLength
                return sendmsg(socket, &message, flags)
            }
        }
    }

    /// One send of `bytes[offset...]` (no descriptors); returns how many the kernel took.
    private func sendPart(_ bytes: [UInt8], from offset: Int, timeoutMilliseconds: Int32) throws(SystemError) -> Int {
        let deadline = MonotonicDeadline(milliseconds: timeoutMilliseconds)
        while true {
            let result = bytes.withUnsafeBytes { buffer in
                Glibc.send(
                    descriptor, buffer.baseAddress! + offset, buffer.count - offset,
                    Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if result >= 0 { return result }
            try handleSendFailure(errno, deadline: deadline)
        }
    }

    /// EINTR: retry. EAGAIN: wait for room until the deadline. Anything else (EPIPE, ECONNRESET…) is thrown.
    private func handleSendFailure(_ code: Int32, deadline: MonotonicDeadline) throws(SystemError) {
        if code == EINTR { return }
        guard code == EAGAIN || code == EWOULDBLOCK else { throw SystemError("handover send", errno: code) }
        guard try Self.wait(descriptor, for: Int16(POLLOUT), until: deadline) else {
            throw SystemError("handover send", errno: ETIMEDOUT)
        }
    }

    /// Blocking receive of one message, waiting at most `timeoutMilliseconds` (poll) for it to START and the
    /// same again for each later part; returns received descriptors (the caller owns and closes them).
    /// Throws HandoverChannelError: .closed (EOF at a message boundary), .timedOut, .truncated (EOF mid-message),
    /// .tooLarge(length), .descriptorMismatch (count in header ≠ received, MSG_CTRUNC), .system(SystemError).
    /// On every error the descriptors that had arrived are closed.
    public func receive(timeoutMilliseconds: Int32) throws(HandoverChannelError) -> HandoverMessage {
        var descriptors: [Int32] = []
        do throws(HandoverChannelError) {
            let (length, count) = try receiveHeader(into: &descriptors, timeoutMilliseconds: timeoutMilliseconds)
            guard count <= Self.maxDescriptorsPerMessage, descriptors.count == count else {
                throw .descriptorMismatch
            }
            guard length <= Self.maxPayloadBytes else { throw .tooLarge(length) }
            let payload = try receivePayload(length: length, timeoutMilliseconds: timeoutMilliseconds)
            return HandoverMessage(payload: payload, descriptors: descriptors)
        } catch {
            for descriptor in descriptors { close(descriptor) }
            throw error
        }
    }

    /// Reads exactly the 8 header bytes, collecting the descriptors that arrive with them.
    private func receiveHeader(into descriptors: inout [Int32], timeoutMilliseconds: Int32)
        throws(HandoverChannelError) -> (length: Int, count: Int)
    {
        var header = [UInt8](repeating: 0, count: Self.headerByteCount)
        var filled = 0
        let controlLength = CLiburing_scm_rights_space(Int32(Self.kernelMaxDescriptors))
        let control = UnsafeMutableRawPointer.allocate(byteCount: controlLength, alignment: 8)
        defer { control.deallocate() }
        var arrived = [Int32](repeating: -1, count: Self.kernelMaxDescriptors)
        while filled < header.count {
            try waitReadable(timeoutMilliseconds: timeoutMilliseconds)
            let (result, flags, collected) = receiveOnce(
                into: &header, from: filled, control: control, controlLength: controlLength, arrived: &arrived)
            if result < 0 {
                let code = errno
                if code == EINTR || code == EAGAIN || code == EWOULDBLOCK { continue }
                throw .system(SystemError("handover receive", errno: code))
            }
            descriptors += arrived.prefix(Int(collected))
            if flags & Int32(MSG_CTRUNC) != 0 { throw .descriptorMismatch }
            if result == 0 { throw filled == 0 ? .closed : .truncated }
            filled += result
        }
        return (Int(Self.loadBigEndian(header, at: 0)), Int(Self.loadBigEndian(header, at: 4)))
    }

    /// Reads exactly `length` payload bytes, growing the buffer only as bytes arrive.
    private func receivePayload(length: Int, timeoutMilliseconds: Int32) throws(HandoverChannelError) -> [UInt8] {
        var payload = [UInt8]()
        var filled = 0
        while filled < length {
            if filled == payload.count {
                let grown = min(length, max(Self.initialPayloadCapacity, payload.count * 2))
                payload.append(contentsOf: repeatElement(0, count: grown - payload.count))
            }
            try waitReadable(timeoutMilliseconds: timeoutMilliseconds)
            var none: [Int32] = []
            let (result, flags, _) = receiveOnce(
                into: &payload, from: filled, control: nil, controlLength: 0, arrived: &none)
            if result < 0 {
                let code = errno
                if code == EINTR || code == EAGAIN || code == EWOULDBLOCK { continue }
                throw .system(SystemError("handover receive", errno: code))
            }
            // Descriptors attached to payload bytes: the kernel closed them (no control buffer) and says so.
            if flags & Int32(MSG_CTRUNC) != 0 { throw .descriptorMismatch }
            if result == 0 { throw .truncated }
            filled += result
        }
        return payload
    }

    /// One recvmsg(2) into `buffer[filled...]`: the kernel's result (errno set when negative), its message
    /// flags, and how many descriptors it attached, written into `arrived`. Without a control buffer, any
    /// descriptors sent along are closed by the kernel, which reports MSG_CTRUNC.
    private func receiveOnce(
        into buffer: inout [UInt8], from filled: Int, control: UnsafeMutableRawPointer?, controlLength: Int,
        arrived: inout [Int32]
    ) -> (count: Int, flags: Int32, collected: Int32) {
        var flags: Int32 = 0
        var collected: Int32 = 0
        let count = buffer.withUnsafeMutableBytes { bytes in
            var vector = iovec(iov_base: bytes.baseAddress! + filled, iov_len: bytes.count - filled)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = control
                message.msg_controllen = controlLength
                let count = recvmsg(descriptor, &message, Int32(MSG_CMSG_CLOEXEC) | Int32(MSG_DONTWAIT))
                flags = message.msg_flags
                if count >= 0, control != nil {
                    collected = arrived.withUnsafeMutableBufferPointer {
                        CLiburing_collect_scm_rights(&message, $0.baseAddress, Int32($0.count))
                    }
                }
                return count
            }
        }
        return (count, flags, collected)
    }

    private func waitReadable(timeoutMilliseconds: Int32) throws(HandoverChannelError) {
        let ready: Bool
        do throws(SystemError) {
            ready = try Self.wait(
                descriptor, for: Int16(POLLIN), until: MonotonicDeadline(milliseconds: timeoutMilliseconds))
        } catch {
            throw .system(error)
        }
        guard ready else { throw .timedOut }
    }

    /// poll(2) for `events` until `deadline`; false on timeout. Readiness includes hang-up and error, which the
    /// following call then reports.
    private static func wait(_ descriptor: Int32, for events: Int16, until deadline: MonotonicDeadline)
        throws(SystemError)
        -> Bool
    {
        while true {
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let result = poll(&entry, 1, deadline.remainingMilliseconds)
            if result > 0 { return true }
            if result == 0 { return false }
            let code = errno
            if code != EINTR { throw SystemError("poll(handover channel)", errno: code) }
        }
    }

    static func storeBigEndian(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
    }

    static func loadBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }
}

/// A point on the monotonic clock a wait must not pass; -1 milliseconds means never.
struct MonotonicDeadline {
    private let nanoseconds: UInt64?

    init(milliseconds: Int32) {
        nanoseconds = milliseconds < 0 ? nil : Self.now() + UInt64(milliseconds) * 1_000_000
    }

    /// What poll(2) takes: -1 (forever), else the milliseconds left, rounded up, 0 once passed.
    var remainingMilliseconds: Int32 {
        guard let nanoseconds else { return -1 }
        let now = Self.now()
        guard nanoseconds > now else { return 0 }
        return Int32(clamping: (nanoseconds - now + 999_999) / 1_000_000)
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
