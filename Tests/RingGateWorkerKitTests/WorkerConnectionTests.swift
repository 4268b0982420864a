import RingGateCodecs
import RingGateWorkerKit
import Testing

/// A BusinessWorker against a fake gateway on 127.0.0.1: registration, reconnects, event framing,
/// replies and session write-back.
@Suite(.timeLimit(.minutes(1)))
struct WorkerConnectionTests {
    @Test func registersWithTheLabPacket() async throws {
        let gateway = try FakeListener()
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: EventLog()))
        {
            _ in
            let peer = try await gateway.accept()
            #expect(try await peer.receivePacketBytes() == Vectors.workerConnect)
        }
    }

    @Test func reconnectsAfterTheGatewayDropsIt() async throws {
        let gateway = try FakeListener()
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: EventLog()))
        {
            worker in
            let first = try await acceptWorkerLink(gateway, worker: worker)
            first.close()
            let dropped = ContinuousClock.now
            let second = try await gateway.accept()
            #expect(ContinuousClock.now - dropped >= .milliseconds(150))  // the reconnect delay, not at once
            #expect(try await second.receivePacketBytes() == Vectors.workerConnect)
            #expect(try await eventually { await worker.statistics().gatewayConnects == 2 })
        }
    }

    @Test func aLinkThatServedAWhileIsReconnectedSoonAfterTheGatewayEndsIt() async throws {
        let gateway = try FakeListener()
        var configuration = testConfiguration(gateways: [gateway.address])
        configuration.reconnectDelay = .seconds(3)
        try await withWorker(configuration, handler: RecordingHandler(log: EventLog())) { worker in
            let first = try await acceptWorkerLink(gateway, worker: worker)
            try await Task.sleep(for: .milliseconds(1_100))
            first.close()
            let ended = ContinuousClock.now
            let second = try await gateway.accept()
            // An upgrade's new process waits for its workers: well before the 3 s delay.
            #expect(ContinuousClock.now - ended < .seconds(2))
            #expect(try await second.receivePacketBytes() == Vectors.workerConnect)
        }
    }

    @Test func deliversLabEventsWithTheirContext() async throws {
        let gateway = try FakeListener()
        let log = EventLog()
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: log)) {
            worker in
            let peer = try await acceptWorkerLink(gateway, worker: worker)
            try await peer.send(
                Vectors.onConnect + Vectors.onMessageHello + Vectors.onMessageSecondWithSession
                    + Vectors.onWebSocketConnect + Vectors.ping + Vectors.onCloseWithSession)
            #expect(try await eventually { log.count == 5 })
            let events = log.all
            #expect(events.map(\.kind) == ["connect", "message", "message", "websocket", "close"])
            for event in events {
                #expect(event.clientID == "7f0000010b5400000001")
                #expect(event.remote == "127.0.0.1:44900")
                #expect(event.gatewayIP == "127.0.0.1")
                #expect(event.gatewayPort == 8282)
            }
            #expect(events[1].message == utf8("hello"))
            #expect(events[1].session == nil)
            #expect(events[2].message == utf8("second"))
            #expect(events[2].session == ["name": "alice", "age": 5])
            #expect(events[3].request?.arrayValue?["get"]?.arrayValue?["token"] == "abc")
            #expect(events[4].session == ["name": "alice", "age": 5])
            #expect(await worker.statistics().eventsReceived == 6)
        }
    }

    @Test func eventsSplitOneBytePerWriteAreReassembled() async throws {
        let gateway = try FakeListener()
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: EventLog()))
        {
            worker in
            let peer = try await acceptWorkerLink(gateway, worker: worker)
            let packets =
                try event(.onMessage, on: gateway, 7, body: utf8("hello")) + Vectors.ping
                + event(.onMessage, on: gateway, 8, session: utf8("a:0:{}"), body: utf8("world"))
            try await peer.sendSlowly(packets)
            let first = try await peer.receivePacket()
            #expect(first.header.command == .sendToOne)
            #expect(first.header.connectionID == 7)
            #expect(first.body == utf8("hello"))
            let second = try await peer.receivePacket()
            #expect(second.header.connectionID == 8)
            #expect(second.body == utf8("world"))
        }
    }

    @Test func aThousandPacketsInOneWriteAreAllAnsweredInOrder() async throws {
        let gateway = try FakeListener()
        let log = EventLog()
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: log)) {
            worker in
            let peer = try await acceptWorkerLink(gateway, worker: worker)
            var burst: [UInt8] = []
            for index in 0..<1000 {
                burst += try event(.onMessage, on: gateway, UInt32(index + 1), body: utf8("m\(index)"))
            }
            try await peer.send(burst)
            for index in 0..<1000 {
                let answer = try await peer.receivePacket()
                #expect(answer.header.connectionID == UInt32(index + 1))
                #expect(answer.body == utf8("m\(index)"), "reply \(index)")
            }
            #expect(log.count == 1000)
        }
    }

    @Test func handlerRepliesAndSessionWriteBackMatchTheLabVectors() async throws {
        let gateway = try FakeListener()
        let handler = RecordingHandler(log: EventLog()) { context, _ in
            context.session?["n"] = 2
            context.updateSession(["x": ["y": 1]])
            context.gateway.updateSession(context.clientID, ["x": ["y": 1]])
            context.send("raw", raw: true)
            context.close(message: "bye")
        }
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: handler) { worker in
            let peer = try await acceptWorkerLink(gateway, worker: worker)
            try await peer.send(try event(.onMessage, on: gateway, 5, session: utf8(#"a:1:{s:1:"n";i:1;}"#)))
            #expect(try await peer.receivePacketBytes() == Vectors.updateSession)
            #expect(try await peer.receivePacketBytes() == Vectors.sendToClientRaw)
            #expect(try await peer.receivePacketBytes() == Vectors.closeClientBye)
            #expect(try await peer.receivePacketBytes() == Vectors.sessionWriteBack)
        }
    }

    @Test func anUnchangedSessionIsNotWrittenBack() async throws {
        let gateway = try FakeListener()
        let handler = RecordingHandler(log: EventLog()) { context, _ in
            _ = context.session
            context.session?["n"] = 1  // same value
            context.send("ok")
        }
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: handler) { worker in
            let peer = try await acceptWorkerLink(gateway, worker: worker)
            try await peer.send(try event(.onMessage, on: gateway, 5, session: utf8(#"a:1:{s:1:"n";i:1;}"#)))
            #expect(try await peer.receivePacket().header.command == .sendToOne)
            try await peer.expectSilence(for: .milliseconds(100))
        }
    }

    @Test func eventsStillCarryingTheOldSessionGetTheWrittenOne() async throws {
        let gateway = try FakeListener()
        let log = EventLog()
        let handler = RecordingHandler(log: log) { context, _ in
            let count: Int64 = if case .int(let value)? = context.session?["n"] { value } else { 0 }
            context.session = ["n": .int(count + 1)]
        }
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: handler) { worker in
            let peer = try await acceptWorkerLink(gateway, worker: worker)
            // The gateway sends two messages before it reads the worker's first SET_SESSION.
            try await peer.send(try event(.onMessage, on: gateway, 3) + event(.onMessage, on: gateway, 3))
            let firstWrite = try await peer.receivePacket()
            let secondWrite = try await peer.receivePacket()
            #expect(firstWrite.extData == utf8(#"a:1:{s:1:"n";i:1;}"#))
            #expect(secondWrite.extData == utf8(#"a:1:{s:1:"n";i:2;}"#))
            // Now an event that carries the latest write: used as is, and the next count is 3.
            try await peer.send(try event(.onMessage, on: gateway, 3, session: secondWrite.extData))
            #expect(try await peer.receivePacket().extData == utf8(#"a:1:{s:1:"n";i:3;}"#))
            #expect(log.all.map(\.session) == [nil, ["n": 1], ["n": 2]])
            #expect(await worker.statistics().staleSessionsReplaced == 1)
        }
    }

    @Test func commandsForGatewaysWithoutAConnectionAreDroppedAndCounted() async throws {
        let gateway = try FakeListener()
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: EventLog()))
        {
            worker in
            let peer = try await acceptWorkerLink(gateway, worker: worker)
            let elsewhere = GatewayClientID(localIP: 0x0A00_0001, localPort: 2900, connectionID: 1)
            worker.gateway.sendToClient(elsewhere, "lost")
            worker.gateway.sendToClient(clientID(on: gateway, 4), "found")
            try await worker.gateway.flush()
            #expect(try await peer.receivePacket().body == utf8("found"))
            #expect(await worker.statistics().commandsDroppedNoConnection == 1)
        }
    }

    @Test func malformedFramingClosesTheConnectionAndReconnects() async throws {
        let gateway = try FakeListener()
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: EventLog()))
        {
            worker in
            let peer = try await acceptWorkerLink(gateway, worker: worker)
            try await peer.send(hex("0000000503") + [UInt8](repeating: 0, count: 23))  // pack_len 5 < 28
            try await peer.expectClosed()
            #expect(await worker.statistics().protocolErrors == 1)
            _ = try await acceptWorkerLink(gateway, worker: worker, expectedConnects: 2)
        }
    }

    @Test func eventsBeforeABadPacketAreHandledThenTheConnectionCloses() async throws {
        let gateway = try FakeListener()
        let log = EventLog()
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: log)) {
            worker in
            let peer = try await acceptWorkerLink(gateway, worker: worker)
            // Two whole events and a header announcing 10 MiB + 1 byte, all in one write.
            let tooLong = hex("00A00001") + [UInt8](repeating: 0, count: 24)
            try await peer.send(
                try event(.onMessage, on: gateway, 1, body: utf8("a"))
                    + event(.onMessage, on: gateway, 2, body: utf8("b"))
                    + tooLong)
            try await peer.expectClosed()
            #expect(log.all.map(\.message) == [utf8("a"), utf8("b")])
            #expect(await worker.statistics().protocolErrors == 1)
        }
    }

    @Test func commandsBeyondTheSendBufferLimitAreDroppedWhileTheGatewayDoesNotRead() async throws {
        let gateway = try FakeListener()
        var configuration = testConfiguration(gateways: [gateway.address])
        configuration.maxSendBufferByteCount = 1 << 20
        try await withWorker(configuration, handler: RecordingHandler(log: EventLog())) { worker in
            let peer = try await acceptWorkerLink(gateway, worker: worker)
            // 24 MiB for a gateway that reads nothing: more than the kernel's socket buffers take, so the
            // rest waits in the channel and the limit must count it.
            let message = [UInt8](repeating: 0x61, count: 64 * 1024)
            let total = 384
            for _ in 0..<total { worker.gateway.sendToClient(clientID(on: gateway, 9), message) }
            #expect(try await eventually { await worker.statistics().commandsDroppedBufferFull > 0 })
            let dropped = await worker.statistics().commandsDroppedBufferFull
            var received = 0
            while received + dropped < total {
                #expect(try await peer.receivePacket().body == message)
                received += 1
            }
            try await peer.expectSilence(for: .milliseconds(200))
            #expect(await worker.statistics().commandsDroppedBufferFull == dropped)
        }
    }

    @Test func invalidAddressesAreRefused() {
        #expect(throws: GatewayKitError.invalidAddress("localhost:1236")) {
            _ = try BusinessWorker(
                configuration: testConfiguration(registers: ["localhost:1236"]),
                handler: RecordingHandler(log: EventLog()))
        }
    }
}
