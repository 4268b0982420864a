import CLiburing
import Glibc
import TestSupport
import Testing

@testable import RingGateRuntime

/// The descriptor path of a live takeover on real rings: a client socket accepted as a direct descriptor in
/// ring A is installed as an ordinary fd, passed over a HandoverChannel, registered into ring B, and keeps
/// serving the same TCP connection from there.
@Suite(.timeLimit(.minutes(1)))
struct RingFileHandoverTests {
    static let ringAvailable = (try? Ring(entries: 8, completionEntries: 16)) != nil
    static let fixedFileInstallAvailable =
        (try? Ring(entries: 8, completionEntries: 16))?.supportsFixedFileInstall ?? false
    static let other = OperationKind(rawValue: OperationKind.firstUserKind)

    /// The whole path. Every step is checked where its failure would show: the installed fd's peer is the
    /// client's port; after ring A's slot and every ordinary copy are closed, bytes the client writes arrive on
    /// ring B's slot 7 and ring B's send reaches the client; ring B's slot sees the same local and peer ports;
    /// and once ring B lets go, the client sees EOF, so no other reference to the socket was left behind.
    @Test(.enabled(if: fixedFileInstallAvailable, "IORING_OP_FIXED_FD_INSTALL needs Linux 6.8"))
    func liveConnectionMovesToAnotherRing() throws {
        let listener = try ListeningSocket(binding: SocketAddress(host: "127.0.0.1", port: 0)!, reusePort: false)
        let ringA = try Ring(entries: 64, completionEntries: 256)
        try ringA.registerFileTable(count: 16)
        let acceptTag = CompletionTag(kind: .accept, slot: 1)
        ringA.acceptMultishotDirect(listenerDescriptor: listener.descriptor, tag: acceptTag)
        ringA.submit()
        let client = try TestClient(port: listener.address.port)
        let slotA = try #require(Self.result(of: acceptTag, on: ringA))
        try #require(slotA >= 0, "accept: \(slotA)")

        let installTag = CompletionTag(kind: Self.other, slot: 2)
        ringA.installFixedFile(fileIndex: UInt32(slotA), tag: installTag)
        let installed = try #require(Self.result(of: installTag, on: ringA))
        try #require(installed >= 0, "install: \(installed)")
        #expect(Takeover.isCloseOnExec(installed))
        #expect(Self.ports(of: installed).peer == client.localPort)

        let (old, new) = try HandoverChannel.pair()
        try old.send(Array("slot 7".utf8), descriptors: [installed])
        close(installed)
        let message = try new.receive(timeoutMilliseconds: 5_000)
        try #require(message.descriptors.count == 1)

        let ringB = try Ring(entries: 64, completionEntries: 256)
        try ringB.registerFileTable(count: 16)
        try ringB.registerFiles(message.descriptors, at: 7)
        close(message.descriptors[0])
        let closeTag = CompletionTag(kind: .close, slot: 3)
        ringA.closeDirect(fileIndex: UInt32(slotA), tag: closeTag)
        #expect(Self.result(of: closeTag, on: ringA) == 0)

        let slab = try HugePageSlab(byteCount: 2 << 20, hugePages: false)
        let buffers = try BufferRing(ring: ringB, slab: slab, groupID: 3, bufferCount: 8, bufferSize: 4096)
        let receiveTag = CompletionTag(kind: .receive, slot: 7)
        ringB.receiveMultishot(fileIndex: 7, bufferGroup: 3, tag: receiveTag)
        ringB.submit()
        let request = Array("written after the handover".utf8)
        try client.send(request)
        var arrived: [UInt8] = []
        let receives = Takeover.completions(on: ringB) { completions in
            completions.reduce(0) { $0 + max(0, Int($1.result)) } >= request.count
                || completions.contains { $0.result <= 0 }
        }
        for completion in receives where completion.tag == receiveTag {
            try #require(completion.result > 0, "receive on ring B: \(completion.result)")
            let id = try #require(completion.bufferID)
            arrived += buffers.bytes(id: id, length: Int(completion.result))
            buffers.recycle(id: id)
        }
        buffers.publish()
        #expect(arrived == request)

        let reply = Array("answered by ring B".utf8)
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: reply.count, alignment: 1)
        defer { storage.deallocate() }
        storage.copyBytes(from: reply)
        let sendTag = CompletionTag(kind: .send, slot: 7)
        ringB.send(fileIndex: 7, bytes: storage.baseAddress!, length: reply.count, tag: sendTag)
        #expect(Self.result(of: sendTag, on: ringB) == Int32(reply.count))
        #expect(try client.receive(exactly: reply.count) == reply)

        let checkTag = CompletionTag(kind: Self.other, slot: 7)
        ringB.installFixedFile(fileIndex: 7, tag: checkTag)
        let check = try #require(Self.result(of: checkTag, on: ringB))
        try #require(check >= 0)
        #expect(Self.ports(of: check).peer == client.localPort)
        #expect(Self.ports(of: check).local == listener.address.port)
        close(check)

        // Ring B lets go without shutdown(2): only the last reference's close sends the FIN.
        ringB.cancelAll(fileIndex: 7, tag: CompletionTag(kind: .cancel, slot: 7))
        ringB.closeDirect(fileIndex: 7, tag: closeTag)
        #expect(Self.result(of: closeTag, on: ringB) == 0)
        #expect(client.waitForClose(), "the client's connection outlived ring B's slot: a copy leaked")
        withExtendedLifetime((slab, buffers)) {}
    }

    /// Placements need not be contiguous; each lands in its slot (a send on the slot reaches the pipe it was
    /// given), and a slot that was occupied is replaced.
    @Test(.enabled(if: ringAvailable, "io_uring is unavailable"))
    func placementsLandInTheirSlots() throws {
        let ring = try Ring(entries: 16, completionEntries: 64)
        try ring.registerFileTable(count: 16)
        let pipes = try Takeover.pipes(4)
        try ring.registerFiles([
            (slot: 2, descriptor: pipes[0].writeEnd), (3, pipes[1].writeEnd), (9, pipes[2].writeEnd),
        ])
        try ring.registerFiles([pipes[3].writeEnd], at: 3)
        for pipe in pipes { pipe.closeWriteEnd() }
        for (slot, pipe) in [(2, pipes[0]), (3, pipes[3]), (9, pipes[2])] {
            #expect(Self.ringSend(on: ring, slot: UInt32(slot), to: pipe), "slot \(slot)")
        }
        #expect(pipes[1].writersAreGone, "the replaced file is still referenced")
    }

    /// The kernel's refusals name the slot: past the table (EINVAL), an io_uring descriptor (EBADF, the kernel
    /// will not register a ring in a ring), a negative descriptor (refused before the kernel would read it as
    /// "empty the slot"). Slots before the refused one stay placed.
    @Test(.enabled(if: ringAvailable, "io_uring is unavailable"))
    func refusalsNameTheSlot() throws {
        let ring = try Ring(entries: 16, completionEntries: 64)
        try ring.registerFileTable(count: 16)
        let other = try Ring(entries: 8, completionEntries: 16)
        let pipes = try Takeover.pipes(2)
        #expect(throws: SystemError("io_uring_register_files_update(slot 16)", errno: EINVAL)) {
            try ring.registerFiles([pipes[0].writeEnd], at: 16)
        }
        #expect(throws: SystemError("io_uring_register_files_update(slot 5)", errno: EBADF)) {
            try ring.registerFiles([pipes[0].writeEnd, other.descriptor, pipes[1].writeEnd], at: 4)
        }
        #expect(Self.ringSend(on: ring, slot: 4, to: pipes[0]))
        #expect(throws: SystemError("io_uring_register_files_update(slot 11)", errno: EBADF)) {
            try ring.registerFiles([(slot: 10, descriptor: pipes[1].writeEnd), (11, -1)])
        }
    }

    /// Pins the constraint the takeover's receiving side is built around: a single-issuer ring takes file
    /// registrations only from its own thread.
    @Test(.enabled(if: ringAvailable, "io_uring is unavailable"))
    func singleIssuerRingRefusesRegistrationFromAnotherThread() throws {
        let ring = try Ring(entries: 16, completionEntries: 64)
        guard ring.setupFlags & IORING_SETUP_SINGLE_ISSUER != 0 else { return }  // older kernel: no such rule
        try ring.registerFileTable(count: 4)
        let pipe = try Takeover.Pipe()
        nonisolated(unsafe) let shared = ring
        let descriptor = pipe.writeEnd
        let elsewhere = Takeover.Background { try shared.registerFiles([descriptor], at: 1) }
        let outcome = try #require(elsewhere.join(seconds: 10))
        #expect(throws: SystemError("io_uring_register_files_update(slot 1)", errno: EEXIST)) { try outcome.get() }
        try ring.registerFiles([descriptor], at: 1)
    }

    @Test(.enabled(if: fixedFileInstallAvailable, "IORING_OP_FIXED_FD_INSTALL needs Linux 6.8"))
    func installingAnEmptySlotCompletesWithEBADF() throws {
        let ring = try Ring(entries: 16, completionEntries: 64)
        try ring.registerFileTable(count: 4)
        let tag = CompletionTag(kind: Self.other, slot: 1)
        ring.installFixedFile(fileIndex: 2, tag: tag)
        #expect(Self.result(of: tag, on: ring) == -EBADF)
    }

    /// The probe agrees with the kernel version (the op arrived in 6.8).
    @Test(.enabled(if: ringAvailable, "io_uring is unavailable"))
    func probeMatchesTheKernelVersion() throws {
        let (major, minor) = PeerNameCommandProbeTests.kernelVersion()
        let ring = try Ring(entries: 8, completionEntries: 16)
        #expect(ring.supportsFixedFileInstall == (major > 6 || (major == 6 && minor >= 8)), "kernel \(major).\(minor)")
    }

    /// The result of the completion tagged `tag`, waiting at most 5 s.
    static func result(of tag: CompletionTag, on ring: Ring) -> Int32? {
        Takeover.completions(on: ring) { $0.contains { $0.tag == tag } }.first { $0.tag == tag }?.result
    }

    /// Sends one byte through direct descriptor `slot` and checks it arrives at `pipe`'s read end.
    static func ringSend(on ring: Ring, slot: UInt32, to pipe: Takeover.Pipe) -> Bool {
        let byte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { byte.deallocate() }
        byte.storeBytes(of: UInt8(slot), as: UInt8.self)
        let tag = CompletionTag(kind: .send, slot: slot)
        ring.send(fileIndex: slot, bytes: byte, length: 1, tag: tag)
        guard result(of: tag, on: ring) == 1 else { return false }
        var entry = pollfd(fd: pipe.readEnd, events: Int16(POLLIN), revents: 0)
        var received: UInt8 = 0
        return poll(&entry, 1, 5_000) == 1 && read(pipe.readEnd, &received, 1) == 1 && received == UInt8(slot)
    }

    /// The local and peer ports of a TCP socket.
    static func ports(of descriptor: Int32) -> (local: UInt16, peer: UInt16) {
        func port(_ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> UInt16 {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let result = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(descriptor, $0, &length) }
            }
            return result == 0 ? UInt16(bigEndian: address.sin_port) : 0
        }
        return (port(getsockname), port(getpeername))
    }
}
