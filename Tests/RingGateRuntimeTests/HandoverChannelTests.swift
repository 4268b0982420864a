import Glibc
import RingGateRuntime
import Testing

/// The old↔new process channel of a live takeover: framing, descriptor passing, and every way a peer can
/// break a message, each of which must end in an error with no descriptor left open.
@Suite(.timeLimit(.minutes(1)))
struct HandoverChannelTests {
    @Test func emptyAndSmallPayloadsRoundTrip() throws {
        let (old, new) = try HandoverChannel.pair()
        try old.send([])
        try old.send(Array("state of shard 0".utf8))
        let empty = try new.receive(timeoutMilliseconds: 5_000)
        let small = try new.receive(timeoutMilliseconds: 5_000)
        #expect(empty.payload.isEmpty && empty.descriptors.isEmpty)
        #expect(small.payload == Array("state of shard 0".utf8) && small.descriptors.isEmpty)
    }

    /// 8 MiB is far more than a socket buffer: the sender blocks on partial writes and the receiver grows its
    /// buffer as bytes arrive. A message after it proves the boundary is kept.
    @Test func eightMebibytePayloadRoundTrips() throws {
        let (old, new) = try HandoverChannel.pair()
        let payload = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 ^ ($0 >> 8) ^ ($0 >> 16)) }
        let sender = Takeover.Background { [payload] in
            try old.send(payload)
            try old.send([42])
        }
        let big = try new.receive(timeoutMilliseconds: 5_000)
        let next = try new.receive(timeoutMilliseconds: 5_000)
        #expect(big.payload.count == payload.count)
        #expect(big.payload == payload)
        #expect(next.payload == [42])
        let sent = try #require(sender.join(seconds: 10))
        try sent.get()
    }

    /// 250 pipe write ends in one message arrive in order, usable and close-on-exec; once the sender closes its
    /// copies, each pipe is reached only through the received descriptor.
    @Test func twoHundredFiftyDescriptorsInOneMessage() throws {
        let (old, new) = try HandoverChannel.pair()
        let pipes = try Takeover.pipes(HandoverChannel.maxDescriptorsPerMessage)
        try old.send([1, 2, 3], descriptors: pipes.map(\.writeEnd))
        for pipe in pipes { pipe.closeWriteEnd() }
        let message = try new.receive(timeoutMilliseconds: 5_000)
        #expect(message.payload == [1, 2, 3])
        try #require(message.descriptors.count == pipes.count)
        for (index, (pipe, received)) in zip(pipes, message.descriptors).enumerated() {
            #expect(pipe.carries(through: received, byte: UInt8(truncatingIfNeeded: index)), "descriptor \(index)")
            #expect(Takeover.isCloseOnExec(received), "descriptor \(index) is not close-on-exec")
            close(received)
            #expect(pipe.writersAreGone, "descriptor \(index) has another copy")
        }
    }

    /// 600 descriptors as 250 + 250 + 100, all queued before the first receive: no message takes another's.
    @Test func sixHundredDescriptorsOverSeveralMessages() throws {
        let (old, new) = try HandoverChannel.pair()
        let pipes = try Takeover.pipes(600)
        var batches: [[Takeover.Pipe]] = []
        var start = 0
        while start < pipes.count {
            let end = min(start + HandoverChannel.maxDescriptorsPerMessage, pipes.count)
            batches.append(Array(pipes[start..<end]))
            start = end
        }
        for (index, batch) in batches.enumerated() {
            try old.send([UInt8(index)], descriptors: batch.map(\.writeEnd))
            for pipe in batch { pipe.closeWriteEnd() }
        }
        for (index, batch) in batches.enumerated() {
            let message = try new.receive(timeoutMilliseconds: 5_000)
            #expect(message.payload == [UInt8(index)])
            try #require(message.descriptors.count == batch.count, "message \(index)")
            for (pipe, received) in zip(batch, message.descriptors) {
                #expect(pipe.carries(through: received, byte: 7))
                close(received)
                #expect(pipe.writersAreGone)
            }
        }
    }

    @Test func senderRefusesMoreThanTwoHundredFiftyDescriptors() throws {
        let (old, _) = try HandoverChannel.pair()
        let pipes = try Takeover.pipes(HandoverChannel.maxDescriptorsPerMessage + 1)
        #expect(throws: SystemError.self) { try old.send([], descriptors: pipes.map(\.writeEnd)) }
    }

    @Test func endOfStreamAtABoundaryIsClosed() throws {
        let new: HandoverChannel
        do {
            let (old, receiver) = try HandoverChannel.pair()
            try old.send([9])
            new = receiver
        }  // the last reference to `old` is gone: its end is closed
        #expect(try new.receive(timeoutMilliseconds: 5_000).payload == [9])
        #expect(throws: HandoverChannelError.closed) { try new.receive(timeoutMilliseconds: 5_000) }
    }

    /// EOF after part of a payload, and after part of a header, with descriptors already received: truncated,
    /// and the descriptors are closed.
    @Test func endOfStreamMidMessageIsTruncatedAndClosesDescriptors() throws {
        for cut in [3, 8 + 10] {
            let pipe = try Takeover.Pipe()
            let new: HandoverChannel
            do {
                let (old, receiver) = try HandoverChannel.pair()
                let wire = Takeover.header(length: 100, count: 1) + [UInt8](repeating: 5, count: 100)
                try Takeover.rawSend(old.descriptor, Array(wire[..<cut]), descriptors: [pipe.writeEnd])
                new = receiver
            }
            pipe.closeWriteEnd()
            #expect(throws: HandoverChannelError.truncated, "cut at \(cut)") {
                try new.receive(timeoutMilliseconds: 5_000)
            }
            #expect(pipe.writersAreGone, "cut at \(cut): the received descriptor leaked")
        }
    }

    /// 2 GiB is refused from the header alone: the error comes at once, though not one payload byte exists.
    @Test func headerClaimingTwoGibibytesIsTooLarge() throws {
        let (old, new) = try HandoverChannel.pair()
        try Takeover.rawSend(old.descriptor, Takeover.header(length: 1 << 31, count: 0))
        #expect(throws: HandoverChannelError.tooLarge(1 << 31)) { try new.receive(timeoutMilliseconds: 5_000) }
    }

    @Test func silenceTimesOutBeforeAndWithinAMessage() throws {
        let (old, new) = try HandoverChannel.pair()
        #expect(throws: HandoverChannelError.timedOut) { try new.receive(timeoutMilliseconds: 30) }
        try Takeover.rawSend(old.descriptor, Takeover.header(length: 10, count: 0) + [1, 2, 3])
        #expect(throws: HandoverChannelError.timedOut) { try new.receive(timeoutMilliseconds: 30) }
    }

    /// Every way the descriptors can disagree with the header: more, fewer, a count above 250, descriptors on
    /// payload bytes. Each is refused and whatever arrived is closed (the pipes see EOF).
    @Test(arguments: [
        (announced: 2, attachedToHeader: 3, attachedToPayload: 0),
        (announced: 3, attachedToHeader: 2, attachedToPayload: 0),
        (announced: 300, attachedToHeader: 3, attachedToPayload: 0),
        (announced: 0, attachedToHeader: 0, attachedToPayload: 2),
        (announced: 2, attachedToHeader: 2, attachedToPayload: 1),
    ])
    func descriptorCountDisagreeingWithTheHeaderIsAMismatch(
        announced: Int, attachedToHeader: Int, attachedToPayload: Int
    ) throws {
        let (old, new) = try HandoverChannel.pair()
        let pipes = try Takeover.pipes(attachedToHeader + attachedToPayload)
        let writers = pipes.map(\.writeEnd)
        try Takeover.rawSend(
            old.descriptor, Takeover.header(length: 4, count: UInt32(announced)),
            descriptors: Array(writers.prefix(attachedToHeader)))
        try Takeover.rawSend(old.descriptor, [1, 2, 3, 4], descriptors: Array(writers.dropFirst(attachedToHeader)))
        for pipe in pipes { pipe.closeWriteEnd() }
        #expect(throws: HandoverChannelError.descriptorMismatch) { try new.receive(timeoutMilliseconds: 5_000) }
        for (index, pipe) in pipes.enumerated() {
            #expect(pipe.writersAreGone, "descriptor \(index) leaked")
        }
    }

    @Test func sendToAClosedPeerThrows() throws {
        let old: HandoverChannel
        do {
            let (sender, receiver) = try HandoverChannel.pair()
            old = sender
            withExtendedLifetime(receiver) {}
        }  // the receiving end is closed
        #expect(throws: SystemError("handover send", errno: EPIPE)) { try old.send([1]) }
    }

    @Test func keepAcrossExecClearsCloseOnExec() throws {
        let (_, childEnd) = try HandoverChannel.pair()
        #expect(Takeover.isCloseOnExec(childEnd.descriptor))
        try childEnd.keepAcrossExec()
        #expect(!Takeover.isCloseOnExec(childEnd.descriptor))
    }
}
