import Glibc
import Testing

@testable import RingGateRuntime

/// A measurement, not a test of speed: how long moving 10,000 direct descriptors takes (install in batches of
/// 250, pass over a HandoverChannel, register into another ring on the receiving thread), with the result
/// checked end to end. It opens 10,000 socket pairs, so it runs only when asked:
/// `RINGGATE_MEASURE_HANDOVER=1 swift test --skip-build --filter HandoverThroughputMeasurement`.
@Suite(.timeLimit(.minutes(2)))
struct HandoverThroughputMeasurement {
    static let descriptorCount = 10_000
    static let batchSize = HandoverChannel.maxDescriptorsPerMessage

    @Test(
        .enabled(
            if: getenv("RINGGATE_MEASURE_HANDOVER") != nil && RingFileHandoverTests.fixedFileInstallAvailable,
            "set RINGGATE_MEASURE_HANDOVER=1 (needs Linux 6.8)"))
    func tenThousandDescriptorsInBatchesOf250() throws {
        let ringA = try Ring(entries: 512, completionEntries: 1024)
        try ringA.registerFileTable(count: UInt32(Self.descriptorCount))
        // One end of each pair goes into ring A's table; the other stays here to check where it went.
        var peers: [Int32] = []
        for start in stride(from: 0, to: Self.descriptorCount, by: Self.batchSize) {
            var moved: [Int32] = []
            for _ in start..<min(start + Self.batchSize, Self.descriptorCount) {
                let pipe = try Takeover.Pipe.unowned()
                moved.append(pipe.0)
                peers.append(pipe.1)
            }
            try ringA.registerFiles(moved, at: UInt32(start))
            moved.forEach { close($0) }
        }
        defer { peers.forEach { close($0) } }

        let (old, new) = try HandoverChannel.pair()
        // Ring B lives on the receiving thread (a single-issuer ring refuses other threads), as in the new process.
        let receiver = Takeover.Background { () throws -> (registeredAt: UInt64, sent: Int) in
            let ringB = try Ring(entries: 256, completionEntries: 16_384)
            try ringB.registerFileTable(count: UInt32(Self.descriptorCount))
            var registered = 0
            while registered < Self.descriptorCount {
                let message = try new.receive(timeoutMilliseconds: 10_000)
                let slot = HandoverChannel.loadBigEndian(message.payload, at: 0)
                defer { message.descriptors.forEach { close($0) } }
                try ringB.registerFiles(message.descriptors, at: slot)
                registered += message.descriptors.count
            }
            let registeredAt = MonotonicDeadline.now()
            return (registeredAt, try Self.sendOneByteOnEverySlot(of: ringB))
        }

        let started = MonotonicDeadline.now()
        var installNanoseconds: UInt64 = 0
        var sendNanoseconds: UInt64 = 0
        for start in stride(from: 0, to: Self.descriptorCount, by: Self.batchSize) {
            let end = min(start + Self.batchSize, Self.descriptorCount)
            let installStarted = MonotonicDeadline.now()
            for slot in start..<end {
                ringA.installFixedFile(fileIndex: UInt32(slot), tag: CompletionTag(kind: .accept, slot: UInt32(slot)))
            }
            var installed = [Int32](repeating: -1, count: end - start)
            var pending = end - start
            while pending > 0 {
                ringA.submitAndWait(minimumCompletions: 1)
                _ = ringA.drainCompletions { completion in
                    installed[Int(completion.tag.slot) - start] = completion.result
                    pending -= 1
                }
            }
            let sendStarted = MonotonicDeadline.now()
            installNanoseconds += sendStarted - installStarted
            try #require(installed.allSatisfy { $0 >= 0 }, "install failed: \(installed.first { $0 < 0 } ?? 0)")
            var slot = [UInt8](repeating: 0, count: 4)
            HandoverChannel.storeBigEndian(UInt32(start), into: &slot, at: 0)
            try old.send(slot, descriptors: installed)
            installed.forEach { close($0) }
            sendNanoseconds += MonotonicDeadline.now() - sendStarted
        }
        let (registeredAt, sent) = try #require(receiver.join(seconds: 60)).get()
        print(
            "handover of \(Self.descriptorCount) descriptors in batches of \(Self.batchSize): "
                + "\((registeredAt - started) / 1_000) µs until the last was registered in ring B; "
                + "sender: install \(installNanoseconds / 1_000) µs, send+close \(sendNanoseconds / 1_000) µs")
        #expect(sent == Self.descriptorCount)
        // Every peer got the byte its socket's new slot (same index in ring B) sent.
        var mismatched = 0
        for peer in peers {
            var received: UInt8 = 0
            if recv(peer, &received, 1, Int32(MSG_DONTWAIT)) != 1 || received != 0x5A { mismatched += 1 }
        }
        #expect(mismatched == 0)
    }
}

extension HandoverThroughputMeasurement {
    /// Sends one byte on every slot of `ring` (on the ring's own thread); returns how many sends succeeded.
    static func sendOneByteOnEverySlot(of ring: Ring) throws -> Int {
        let byte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { byte.deallocate() }
        byte.storeBytes(of: 0x5A, as: UInt8.self)
        for slot in 0..<descriptorCount {
            ring.send(
                fileIndex: UInt32(slot), bytes: byte, length: 1, tag: CompletionTag(kind: .send, slot: UInt32(slot)))
        }
        var completed = 0
        var succeeded = 0
        while completed < descriptorCount {
            ring.submitAndWait(minimumCompletions: 1)
            _ = ring.drainCompletions { completion in
                completed += 1
                if completion.result == 1 { succeeded += 1 }
            }
        }
        return succeeded
    }
}

extension Takeover.Pipe {
    /// A close-on-exec socket pair whose ends the caller owns (no object to close them).
    static func unowned() throws -> (Int32, Int32) {
        var ends: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &ends) == 0 else { throw SystemError("socketpair", errno: errno) }
        return (ends[0], ends[1])
    }
}
