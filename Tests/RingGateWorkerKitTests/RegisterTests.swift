import RingGateCodecs
import RingGateWorkerKit
import Testing

/// A worker against a fake Register (Text lines, spec §6).
@Suite(.timeLimit(.minutes(1)))
struct RegisterTests {
    private func broadcast(_ addresses: String) -> [UInt8] {
        utf8(#"{"event":"broadcast_addresses","addresses":"# + addresses + "}\n")
    }

    @Test func aBroadcastInObjectFormConnectsToEveryListedGateway() async throws {
        let register = try FakeListener()
        let first = try FakeListener()
        let second = try FakeListener()
        try await withWorker(
            testConfiguration(registers: [register.address]), handler: RecordingHandler(log: EventLog())
        ) {
            worker in
            let peer = try await register.accept()
            #expect(try await peer.receiveLine() == #"{"event":"worker_connect","secret_key":"sek"}"#)
            try await peer.send(broadcast(#"{"0":"\#(first.address)","3":"\#(second.address)"}"#))
            _ = try await acceptWorkerLink(first, worker: worker)
            _ = try await acceptWorkerLink(second, worker: worker, expectedConnects: 2)
            #expect(await worker.gatewayAddresses() == [first.address, second.address])
            #expect(await worker.statistics().registerBroadcasts == 1)
        }
    }

    @Test func reconnectsToTheRegisterAfterItCloses() async throws {
        let register = try FakeListener()
        try await withWorker(
            testConfiguration(registers: [register.address]), handler: RecordingHandler(log: EventLog())
        ) {
            _ in
            let first = try await register.accept()
            _ = try await first.receiveLine()
            first.close()
            let closed = ContinuousClock.now
            let second = try await register.accept()
            #expect(ContinuousClock.now - closed >= .milliseconds(150))
            #expect(try await second.receiveLine() == #"{"event":"worker_connect","secret_key":"sek"}"#)
        }
    }

    @Test func pingsOnlyRegistersNotOn127001() async throws {
        let local = try FakeListener()
        let remote = try FakeListener(host: "127.0.0.2")
        var configuration = testConfiguration(registers: [local.address, remote.address])
        configuration.registerPingInterval = .milliseconds(50)
        try await withWorker(configuration, handler: RecordingHandler(log: EventLog())) { _ in
            let localPeer = try await local.accept()
            let remotePeer = try await remote.accept()
            _ = try await localPeer.receiveLine()
            _ = try await remotePeer.receiveLine()
            #expect(try await remotePeer.receiveLine() == #"{"event":"ping"}"#)
            #expect(try await remotePeer.receiveLine() == #"{"event":"ping"}"#)
            try await localPeer.expectSilence(for: .milliseconds(150))
        }
    }

    @Test func aGatewayDroppedFromTheListIsNotReconnected() async throws {
        let register = try FakeListener()
        let kept = try FakeListener()
        let dropped = try FakeListener()
        try await withWorker(
            testConfiguration(registers: [register.address]), handler: RecordingHandler(log: EventLog())
        ) {
            worker in
            let registerPeer = try await register.accept()
            _ = try await registerPeer.receiveLine()
            try await registerPeer.send(broadcast(#"["\#(kept.address)","\#(dropped.address)"]"#))
            let keptPeer = try await acceptWorkerLink(kept, worker: worker)
            let droppedPeer = try await acceptWorkerLink(dropped, worker: worker, expectedConnects: 2)
            try await registerPeer.send(broadcast(#"["\#(kept.address)"]"#))
            #expect(try await eventually { await worker.gatewayAddresses() == [kept.address] })
            // Unlisted: not disconnected by the worker...
            try await droppedPeer.expectSilence(for: .milliseconds(50))
            // ...and not reconnected once it closes; a listed one is.
            droppedPeer.close()
            keptPeer.close()
            _ = try await acceptWorkerLink(kept, worker: worker, expectedConnects: 3)
            try await dropped.expectNoConnection(for: .milliseconds(400))
        }
    }

    /// A hostile Register: a line past 1 MiB without its newline, or a list of more than 4,096
    /// addresses, closes the link instead of being buffered (up to 10 MiB before) or connected to.
    @Test func aHostileRegisterCannotExhaustTheWorker() async throws {
        let register = try FakeListener()
        try await withWorker(
            testConfiguration(registers: [register.address]), handler: RecordingHandler(log: EventLog())
        ) {
            worker in
            let first = try await register.accept()
            _ = try await first.receiveLine()
            try await first.send(utf8(#"{"event":"broadcast_addresses","addresses":[""#))
            try await first.send([UInt8](repeating: UInt8(ascii: "1"), count: (1 << 20) + 1024))
            try await first.expectClosed()

            let second = try await register.accept()
            _ = try await second.receiveLine()
            let many = (1...5_000).map { #""127.0.0.1:\#($0)""# }.joined(separator: ",")
            try await second.send(broadcast("[" + many + "]"))
            try await second.expectClosed()
            #expect(await worker.gatewayAddresses().isEmpty)
        }
    }

    @Test func anEmptyBroadcastKeepsExistingConnections() async throws {
        let register = try FakeListener()
        let gateway = try FakeListener()
        try await withWorker(
            testConfiguration(registers: [register.address]), handler: RecordingHandler(log: EventLog())
        ) {
            worker in
            let registerPeer = try await register.accept()
            _ = try await registerPeer.receiveLine()
            try await registerPeer.send(broadcast(#"["\#(gateway.address)"]"#))
            let link = try await acceptWorkerLink(gateway, worker: worker)
            try await registerPeer.send(broadcast("[]") + utf8("not json\n"))
            #expect(try await eventually { await worker.gatewayAddresses().isEmpty })
            try await link.send(try event(.onMessage, on: gateway, 1, body: utf8("still here")))
            #expect(try await link.receivePacket().body == utf8("still here"))
        }
    }
}
