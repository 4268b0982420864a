import BenchmarkReport
import Foundation
import Glibc
import Histogram
import LoadGenerator

/// The soak's chatting and never-reading WebSocket clients, on ordinary non-blocking sockets driven by
/// one thread with poll(2) (a few hundred at most; the idle mass is in the io_uring generators).
/// Chatters send "C<id> <seq>" every interval and expect the echo; non-readers read their handshake
/// response, then only send large messages, so their echoes pile up until the gateway's per-client send
/// limit drops them. Everything they keep is bounded: outstanding sequences expire after `echoTimeout`.
final class SoakChatters: @unchecked Sendable {
    struct Settings {
        var port: UInt16
        var chatters: Int
        var chatInterval: Double
        var nonReaders: Int
        var nonReaderMessageSize: Int
        var nonReaderInterval: Double
        /// An echo not back after this long counts as lost.
        var echoTimeout: Double
        /// CLOCK_MONOTONIC ns of the run's start (sample and event times are seconds from it).
        var start: UInt64
    }

    /// What the main loop reads (under the lock).
    struct Figures {
        var sent = 0
        var echoed = 0
        var duplicated = 0
        var outOfOrder = 0
        var outstanding = 0
        /// Send times (seconds from the start) of messages whose echo never came.
        var lostSendTimes: [Double] = []
        var chatterDrops = 0
        /// Why chatters were closed: "eof", "close-frame", "recv <errno>", "send <errno>".
        var dropReasons: [String: Int] = [:]
        var nonReaderSent = 0
        var nonReadersClosed = 0
        var minutes: [SoakMinute] = []
        /// The longest send → echo so far, and when (seconds from the start) that message was sent.
        var longestEchoNanoseconds: UInt64 = 0
        var longestEchoSentAt = 0.0
    }

    private struct Peer {
        var fd: Int32 = -1
        var handshakeDone = false
        var input: [UInt8] = []
        var output: [UInt8] = []
        var nextSequence: UInt32 = 1
        var nextSend: UInt64 = 0
        var outstanding: [UInt32: UInt64] = [:]
        var sequence = ChatSequence()
        var closed = false
        var closeReason = ""
    }

    private let settings: Settings
    private let lock = NSLock()
    private var figures = Figures()
    private var histograms: [Histogram<UInt64>] = []
    private var minuteSent: [Int] = []
    private var minuteEchoed: [Int] = []
    private var chatters: [Peer] = []
    private var nonReaders: [Peer] = []
    private var sending = true
    private var running = true
    private var thread: Thread?
    private static let maxLost = 1_000_000

    init(settings: Settings) {
        self.settings = settings
    }

    /// Connects every client (handshakes complete on the thread) and starts the thread.
    func start() throws {
        let now = monotonicNanoseconds()
        for index in 0..<settings.chatters {
            var peer = Peer()
            peer.fd = try Self.connect(port: settings.port, receiveBuffer: 0)
            // Spread the first sends over one interval.
            peer.nextSend =
                now + UInt64(Double(index) / Double(max(1, settings.chatters)) * settings.chatInterval * 1e9)
            peer.output = Self.upgradeRequest
            chatters.append(peer)
        }
        for _ in 0..<settings.nonReaders {
            var peer = Peer()
            peer.fd = try Self.connect(port: settings.port, receiveBuffer: 4096)
            peer.nextSend = now + 1_000_000_000
            peer.output = Self.upgradeRequest
            nonReaders.append(peer)
        }
        let thread = Thread { [self] in loop() }
        thread.name = "soak chatters"
        self.thread = thread
        thread.start()
    }

    func snapshot() -> Figures {
        lock.withLock {
            var copy = figures
            copy.minutes = minuteFigures()
            return copy
        }
    }

    /// Stops sending, waits (bounded) for the echoes still outstanding, expires the rest, reads what the
    /// non-readers were sent, and closes every socket. Returns the echoes the non-readers had waiting.
    func finish(drainSeconds: Double) -> Int {
        lock.withLock { sending = false }
        let deadline = Date().addingTimeInterval(drainSeconds)
        while Date() < deadline, snapshot().outstanding > 0 { usleep(100_000) }
        lock.withLock { running = false }
        while thread?.isFinished == false { usleep(10_000) }
        lock.withLock {
            for index in chatters.indices { expire(&chatters[index], olderThan: UInt64.max) }
        }
        var echoes = 0
        for index in nonReaders.indices where !nonReaders[index].closed {
            echoes += drainNonReader(&nonReaders[index])
        }
        for peer in chatters + nonReaders where peer.fd >= 0 { Glibc.close(peer.fd) }
        chatters = []
        nonReaders = []
        return echoes
    }

    // MARK: The thread

    private func loop() {
        var lastExpiry: UInt64 = 0
        while lock.withLock({ running }) {
            var descriptors: [pollfd] = []
            for peer in chatters {
                descriptors.append(
                    pollfd(
                        fd: peer.closed ? -1 : peer.fd,
                        events: Int16(POLLIN) | (peer.output.isEmpty ? 0 : Int16(POLLOUT)),
                        revents: 0))
            }
            for peer in nonReaders {
                // Only the handshake response is read; afterwards POLLIN stays off.
                let events = (peer.handshakeDone ? 0 : Int16(POLLIN)) | (peer.output.isEmpty ? 0 : Int16(POLLOUT))
                descriptors.append(pollfd(fd: peer.closed ? -1 : peer.fd, events: events | 0x2000, revents: 0))
            }
            _ = poll(&descriptors, nfds_t(descriptors.count), 20)
            let now = monotonicNanoseconds()
            lock.withLock {
                for index in chatters.indices {
                    service(chatter: index, revents: descriptors[index].revents, now: now)
                }
                for index in nonReaders.indices {
                    service(nonReader: index, revents: descriptors[chatters.count + index].revents, now: now)
                }
                if now - lastExpiry > 1_000_000_000 {
                    lastExpiry = now
                    let limit = now - UInt64(settings.echoTimeout * 1e9)
                    for index in chatters.indices { expire(&chatters[index], olderThan: limit) }
                }
            }
        }
    }

    private func service(chatter index: Int, revents: Int16, now: UInt64) {
        if chatters[index].closed {
            // Reopened a second after the drop (not at once: a gateway without workers would close it again
            // in a loop), so the load stays the same.
            guard chatters[index].fd < 0, now >= chatters[index].nextSend,
                let fd = try? Self.connect(port: settings.port, receiveBuffer: 0)
            else { return }
            chatters[index].fd = fd
            chatters[index].closed = false
            chatters[index].handshakeDone = false
            chatters[index].input = []
            chatters[index].output = Self.upgradeRequest
            return
        }
        if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { readChatter(index, now: now) }
        if chatters[index].closed {
            // The gateway closed a chatter: never on purpose.
            figures.chatterDrops += 1
            figures.dropReasons[chatters[index].closeReason, default: 0] += 1
            Glibc.close(chatters[index].fd)
            chatters[index].fd = -1
            chatters[index].nextSend = now + 1_000_000_000
            return
        }
        if sending, chatters[index].handshakeDone, now >= chatters[index].nextSend, chatters[index].output.isEmpty {
            let sequence = chatters[index].nextSequence
            chatters[index].nextSequence += 1
            chatters[index].nextSend = now + UInt64(settings.chatInterval * 1e9)
            chatters[index].outstanding[sequence] = now
            chatters[index].output = Self.frame(Array("C\(index) \(sequence) ".utf8))
            figures.sent += 1
            figures.outstanding += 1
            count(minuteOf: now, sent: true)
        }
        flush(&chatters[index])
    }

    private func service(nonReader index: Int, revents: Int16, now: UInt64) {
        guard !nonReaders[index].closed else { return }
        if revents & Int16(POLLHUP | POLLERR) != 0 || revents & 0x2000 != 0 {
            nonReaders[index].closed = true
            figures.nonReadersClosed += 1
            return
        }
        if !nonReaders[index].handshakeDone, revents & Int16(POLLIN) != 0 {
            readHandshakeOnly(&nonReaders[index])
        }
        if sending, nonReaders[index].handshakeDone, now >= nonReaders[index].nextSend, nonReaders[index].output.isEmpty
        {
            nonReaders[index].nextSend = now + UInt64(settings.nonReaderInterval * 1e9)
            nonReaders[index].output = Self.frame(
                Array("N\(index) ".utf8) + [UInt8](repeating: UInt8(ascii: "n"), count: settings.nonReaderMessageSize))
            figures.nonReaderSent += 1
        }
        flush(&nonReaders[index])
        if nonReaders[index].closed { figures.nonReadersClosed += 1 }
    }

    private func flush(_ peer: inout Peer) {
        guard !peer.output.isEmpty, !peer.closed else { return }
        let written = peer.output.withUnsafeBytes { send(peer.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if written > 0 {
            peer.output.removeFirst(written)
        } else if written < 0, errno != EAGAIN, errno != EINTR {
            peer.closeReason = "send \(String(cString: strerror(errno)))"
            peer.closed = true
        }
    }

    private func readChatter(_ index: Int, now: UInt64) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(chatters[index].fd, $0.baseAddress, $0.count, 0) }
            if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
                chatters[index].closeReason = count == 0 ? "eof" : "recv \(String(cString: strerror(errno)))"
                chatters[index].closed = true
                break
            }
            if count < 0 { break }
            chatters[index].input += buffer[0..<count]
        }
        if !chatters[index].handshakeDone {
            guard let end = Self.headerEnd(chatters[index].input) else { return }
            chatters[index].handshakeDone = true
            chatters[index].input.removeFirst(end)
        }
        var input = chatters[index].input
        while let (opcode, payload, length) = Self.parseFrame(input) {
            input.removeFirst(length)
            if opcode == 0x8 {
                chatters[index].closeReason = "close frame"
                chatters[index].closed = true
                break
            }
            guard opcode == 0x1 || opcode == 0x2, payload.first == UInt8(ascii: "C") else { continue }
            received(payload: payload, chatter: index, now: now)
        }
        chatters[index].input = input
    }

    private func received(payload: [UInt8], chatter index: Int, now: UInt64) {
        let words = String(decoding: payload.dropFirst(), as: UTF8.self).split(separator: " ")
        guard words.count >= 2, Int(words[0]) == index, let sequence = UInt32(words[1]) else { return }
        switch chatters[index].sequence.receive(sequence) {
        case .duplicate:
            figures.duplicated += 1
            return
        case .late: figures.outOfOrder += 1
        case .inOrder: break
        }
        guard let sent = chatters[index].outstanding.removeValue(forKey: sequence) else { return }
        figures.echoed += 1
        figures.outstanding -= 1
        if now > sent, now - sent > figures.longestEchoNanoseconds {
            figures.longestEchoNanoseconds = now - sent
            figures.longestEchoSentAt = Double(sent - min(sent, settings.start)) / 1e9
        }
        let minute = minuteIndex(sent)
        if minute < histograms.count {
            _ = histograms[minute].record(now > sent ? now - sent : 0)
            minuteEchoed[minute] += 1
        }
    }

    private func expire(_ peer: inout Peer, olderThan limit: UInt64) {
        for (sequence, sent) in peer.outstanding where sent < limit {
            peer.outstanding[sequence] = nil
            figures.outstanding -= 1
            if figures.lostSendTimes.count < Self.maxLost {
                figures.lostSendTimes.append(Double(sent - min(sent, settings.start)) / 1e9)
            }
        }
    }

    private func readHandshakeOnly(_ peer: inout Peer) {
        // Read byte by byte up to the end of the response headers, so no frame byte is consumed.
        var byte: UInt8 = 0
        while recv(peer.fd, &byte, 1, 0) == 1 {
            peer.input.append(byte)
            if Self.headerEnd(peer.input) != nil {
                peer.handshakeDone = true
                peer.input = []
                return
            }
        }
    }

    /// Reads (2 s at most) what a non-reader was sent and counts its echo frames.
    private func drainNonReader(_ peer: inout Peer) -> Int {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var input: [UInt8] = []
        var frames = 0
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            var descriptor = pollfd(fd: peer.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 200) > 0 else { break }
            let count = buffer.withUnsafeMutableBytes { recv(peer.fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            input += buffer[0..<count]
            var offset = 0
            while let (opcode, _, length) = Self.parseFrame(input[offset...]) {
                offset += length
                if opcode == 0x1 || opcode == 0x2 { frames += 1 }
            }
            input.removeFirst(offset)
        }
        return frames
    }

    // MARK: Per-minute figures

    private func minuteIndex(_ sent: UInt64) -> Int { Int((sent - min(sent, settings.start)) / 60_000_000_000) }

    private func count(minuteOf now: UInt64, sent: Bool) {
        let minute = minuteIndex(now)
        while histograms.count <= minute {
            histograms.append(
                Histogram<UInt64>(
                    lowestDiscernibleValue: 1_000, highestTrackableValue: 120_000_000_000,
                    numberOfSignificantValueDigits: .two))
            minuteSent.append(0)
            minuteEchoed.append(0)
        }
        if sent { minuteSent[minute] += 1 }
    }

    private func minuteFigures() -> [SoakMinute] {
        histograms.indices.map { minute in
            var figure = SoakMinute()
            figure.minute = minute
            figure.sent = minuteSent[minute]
            figure.echoed = minuteEchoed[minute]
            if histograms[minute].totalCount > 0 {
                figure.p50Milliseconds = Double(histograms[minute].valueAtPercentile(50)) / 1e6
                figure.p99Milliseconds = Double(histograms[minute].valueAtPercentile(99)) / 1e6
                figure.maxMilliseconds = Double(histograms[minute].max) / 1e6
            }
            return figure
        }
    }

    // MARK: Wire

    static let upgradeRequest: [UInt8] = Array(
        ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8)

    /// A blocking connect from 127.0.1.1 (apart from the generators' sources), then non-blocking.
    static func connect(port: UInt16, receiveBuffer: Int32) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchmarkFailure("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
        if receiveBuffer > 0 {
            var size = receiveBuffer
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4)
        }
        var source = sockaddr_in()
        source.sin_family = sa_family_t(AF_INET)
        source.sin_addr.s_addr = UInt32(0x7F00_0101).bigEndian
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &source) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, size) }
        }
        guard bound == 0, connected == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw BenchmarkFailure("chat client connect to 127.0.0.1:\(port): \(reason)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    /// A masked binary client frame (all-zero mask key: the payload goes as it is).
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [0x82]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        return frame + [0, 0, 0, 0] + payload
    }

    /// One unmasked server frame at the start of `bytes`: opcode, payload and the frame's length.
    static func parseFrame<C: Collection>(_ bytes: C) -> (UInt8, [UInt8], Int)?
    where C.Element == UInt8, C.Index == Int {
        let base = bytes.startIndex
        guard bytes.count >= 2 else { return nil }
        let opcode = bytes[base] & 0x0F
        let short = Int(bytes[base + 1] & 0x7F)
        var header = 2
        var length = short
        if short == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[base + 2]) << 8 | Int(bytes[base + 3])
            header = 4
        } else if short == 127 {
            guard bytes.count >= 10 else { return nil }
            length = (2..<10).reduce(0) { $0 << 8 | Int(bytes[base + $1]) }
            header = 10
        }
        guard bytes.count >= header + length else { return nil }
        return (opcode, Array(bytes[(base + header)..<(base + header + length)]), header + length)
    }

    static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index - 3] == 13 && bytes[index - 2] == 10 && bytes[index - 1] == 13 && bytes[index] == 10 {
            return index + 1
        }
        return nil
    }
}
