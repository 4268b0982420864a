import CLiburing
import Foundation
import Glibc
import RingGateRuntime
import Synchronization

/// Helpers for the takeover primitives' tests: pipes whose ends prove where a descriptor went, a raw sender
/// that writes whatever header it is told, a thread for blocking senders, and a bounded completion wait.
enum Takeover {
    /// A pipe made of a connected socket pair (created close-on-exec, so children that other tests spawn
    /// meanwhile cannot inherit it). Its read end sees POLLHUP only once every copy of the write end is closed,
    /// which is how the tests prove that no copy of a passed descriptor leaked anywhere in the process.
    /// Each end is closed once (a second close could hit a descriptor another test just opened).
    final class Pipe: CustomStringConvertible {
        let readEnd: Int32
        private(set) var writeEnd: Int32

        init() throws {
            var ends: [Int32] = [-1, -1]
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            guard socketpair(AF_UNIX, type, 0, &ends) == 0 else { throw SystemError("socketpair", errno: errno) }
            readEnd = ends[0]
            writeEnd = ends[1]
        }

        /// Whether every write end is closed (checked now, no waiting: close(2) is synchronous).
        var writersAreGone: Bool {
            var entry = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            return poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLHUP) != 0
        }

        /// One byte written through `writer` arrives at this pipe's read end.
        func carries(through writer: Int32, byte: UInt8) -> Bool {
            var value = byte
            guard write(writer, &value, 1) == 1 else { return false }
            var entry = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 5_000) == 1 else { return false }
            var read: UInt8 = 0
            return Glibc.read(readEnd, &read, 1) == 1 && read == byte
        }

        /// Closes this test's copy of the write end (after sending it, say).
        func closeWriteEnd() {
            if writeEnd >= 0 { close(writeEnd) }
            writeEnd = -1
        }

        deinit {
            closeWriteEnd()
            close(readEnd)
        }

        var description: String { "Pipe(read: \(readEnd), write: \(writeEnd))" }
    }

    static func pipes(_ count: Int) throws -> [Pipe] { try (0..<count).map { _ in try Pipe() } }

    /// Whether `descriptor` has FD_CLOEXEC set.
    static func isCloseOnExec(_ descriptor: Int32) -> Bool {
        let flags = fcntl(descriptor, F_GETFD)
        return flags >= 0 && flags & FD_CLOEXEC != 0
    }

    /// (st_dev, st_ino) of what `descriptor` refers to, to tell two descriptors of one object.
    static func identity(of descriptor: Int32) -> [UInt64] {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return [] }
        return [UInt64(status.st_dev), UInt64(status.st_ino)]
    }

    /// A channel header: u32 BE length ‖ u32 BE count.
    static func header(length: UInt32, count: UInt32) -> [UInt8] {
        [length, count].flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
    }

    /// One sendmsg of `bytes` with `descriptors` attached, whatever they say (a misbehaving peer).
    static func rawSend(_ socket: Int32, _ bytes: [UInt8], descriptors: [Int32] = []) throws {
        let sent = HandoverChannel.sendMessage(on: socket, bytes, descriptors: descriptors, flags: Int32(MSG_NOSIGNAL))
        guard sent == bytes.count else { throw SystemError("raw sendmsg", errno: sent < 0 ? errno : EIO) }
    }

    /// Runs `body` on its own thread (a blocking sender must not occupy the test's cooperative pool).
    final class Background<Value: Sendable>: Sendable {
        private let outcome = Mutex<Result<Value, any Error>?>(nil)
        private let done = DispatchSemaphore(value: 0)

        init(_ body: @escaping @Sendable () throws -> Value) {
            let thread = Thread {
                let result = Result { try body() }
                self.outcome.withLock { $0 = result }
                self.done.signal()
            }
            thread.start()
        }

        /// The body's result, or nil when it did not finish within `seconds`.
        func join(seconds: Double) -> Result<Value, any Error>? {
            guard done.wait(timeout: .now() + seconds) == .success else { return nil }
            return outcome.withLock { $0 }
        }
    }

    /// Submits, then collects completions (tick completions of this helper left out) until `isDone` says so or
    /// `seconds` pass; a 50 ms tick keeps the wait bounded when nothing arrives.
    static func completions(
        on ring: Ring, seconds: Double = 5, until isDone: ([Completion]) -> Bool
    ) -> [Completion] {
        let tickTag = CompletionTag(kind: .tick, slot: 0xFFFF_FFFF)
        let deadline = Date().addingTimeInterval(seconds)
        var collected: [Completion] = []
        var tickArmed = false
        func waitOnce() {
            ring.submitAndWait(minimumCompletions: 1)
            _ = ring.drainCompletions { completion in
                if completion.tag == tickTag {
                    tickArmed = false
                } else {
                    collected.append(completion)
                }
            }
        }
        while !isDone(collected), Date() < deadline {
            if !tickArmed {
                ring.armTick(afterNanoseconds: 50_000_000, tag: tickTag)
                tickArmed = true
            }
            waitOnce()
        }
        // Let the last tick finish so that it cannot land in the caller's next wait.
        while tickArmed { waitOnce() }
        return collected
    }
}
