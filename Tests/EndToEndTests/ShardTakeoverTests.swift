import Glibc
import RingGate
import RingGateCodecs
import RingGateRuntime
import RingGateTLS
import TestSupport
import Testing

/// Live takeover at the shard level, both processes' sides in one test process: an old gateway pauses and
/// exports each shard, its client sockets become ordinary descriptors, and a second gateway built on the
/// same listening sockets adopts them — the same TCP connections, mid-message state, queued output and
/// worker-visible state (connection ids, sessions, uids, groups) — while clients keep talking.
@Suite(.serialized) struct ShardTakeoverTests {
    /// Moves every shard of `old` to `new`, as `ringgate upgrade` does between two processes.
    static func moveEveryShard(from old: GatewayServer, to new: GatewayServer) throws {
        for shard in 0..<old.shardCount {
            let export = try old.beginHandover(shard: shard, timeoutSeconds: 5).get()
            let descriptors = try old.installDescriptors(shard: shard, slots: export.slots).get()
            defer { for descriptor in descriptors { close(descriptor) } }
            let snapshot = try TakeoverSnapshot(decoding: export.snapshot.span)
            let placements = zip(export.slots, descriptors).map { (slot: $0, descriptor: $1) }
            if !placements.isEmpty { _ = try new.placeAdoptedSockets(shard: shard, placements).get() }
            _ = try new.adopt(shard: shard, snapshot: snapshot).get()
            old.commitHandover(shard: shard)
        }
    }

    static func successor(of old: GatewayServer, echo: Bool) throws -> GatewayServer {
        if echo {
            return try GatewayServer(
                configuration: old.configuration, logger: testLogger, adopting: old.takeoverSockets,
                makeApplication: { _ in EchoApplication() })
        }
        return try GatewayServer(configuration: old.configuration, logger: testLogger, adopting: old.takeoverSockets)
    }

    static func supported() -> Bool {
        (try? Ring(entries: 8, completionEntries: 16))?.supportsFixedFileInstall == true
    }

    @Test(.timeLimit(.minutes(1))) func echoClientsMidMessageMidHandshakeAndWithQueuedOutputMoveIntact() throws {
        guard Self.supported() else {
            print("skipped: this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8)")
            return
        }
        // A send queue limit well above what the kernel buffers, so that the backlogged client's echo
        // waits in the gateway's queue, not dropped.
        try withGateway(
            listeners: ["websocket://127.0.0.1:0", "text://127.0.0.1:0"], shards: 2,
            configure: { $0.listeners[1].sendQueueLimit = 64 << 20 }
        ) { old in
            let webSocketPort = old.port(0)
            let textPort = old.port(1)
            let settled = try WebSocketTestClient(port: webSocketPort)
            try settled.send(text: "before")
            #expect(try settled.receiveFrame().text == "before")
            // Half a WebSocket frame, half a text line, half an upgrade request.
            let midFrame = try WebSocketTestClient(port: webSocketPort)
            let frame = WebSocketTestClient.frame(opcode: 1, payload: Array("split across processes".utf8))
            try midFrame.connection.send(Array(frame.prefix(9)))
            let midLine = try TestClient(port: textPort)
            try midLine.send("first half ")
            let midHandshake = try TestClient(port: webSocketPort)
            let request =
                "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            try midHandshake.send(Array(request.utf8.prefix(40)))
            // A text client that sends 16 MiB of lines without reading: the echo queues up in the gateway.
            let backlogged = try TestClient(port: textPort)
            let line = Array(repeating: UInt8(ascii: "x"), count: 1023) + [10]
            var sent: [UInt8] = []
            for _ in 0..<16_384 { sent += line }
            try backlogged.send(sent)
            #expect(old.waitFor { $0.messagesIn >= 16_385 && $0.liveConnections == 5 })
            #expect(old.reports().map(\.queuedSendNodes).reduce(0, +) > 0, "nothing queued in the gateway")

            let new = try Self.successor(of: old, echo: true)
            defer { new.stop() }
            try Self.moveEveryShard(from: old, to: new)
            #expect(old.totalCounters().takeoverHandedOver == 5)
            #expect(new.totalCounters().takeoverAdopted == 5)
            #expect(new.totalCounters().liveConnections == 5)

            try settled.send(text: "after")
            #expect(try settled.receiveFrame().text == "after")
            try midFrame.connection.send(Array(frame.dropFirst(9)))
            #expect(try midFrame.receiveFrame().text == "split across processes")
            try midLine.send("second half\n")
            #expect(try midLine.receive(exactly: 23) == Array("first half second half\n".utf8))
            try midHandshake.send(Array(request.utf8.dropFirst(40)))
            let head = try String(decoding: midHandshake.receive(exactly: 12), as: UTF8.self)
            #expect(head == "HTTP/1.1 101")
            #expect(try backlogged.receive(exactly: sent.count) == sent)
            // The old gateway accepts nothing now; new clients reach the new one.
            let late = try WebSocketTestClient(port: webSocketPort)
            try late.send(text: "late")
            #expect(try late.receiveFrame().text == "late")
            #expect(old.totalCounters().liveConnections == 0)
        }
    }

    @Test(.timeLimit(.minutes(1))) func connectionIDsSessionsUIDsGroupsAndBufferedEventsMoveWithTheShard() throws {
        guard Self.supported() else {
            print("skipped: this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8)")
            return
        }
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { old in
            let worker = try TestWorker(addresses: old.innerAddresses)
            #expect(old.waitForUpstream { $0.workerRegistrations >= 1 })
            let alice = try TestClient(port: old.port())
            let aliceID = try worker.nextEvent(.onConnect).connectionID
            let bob = try TestClient(port: old.port())
            let bobID = try worker.nextEvent(.onConnect).connectionID
            let session = Array(#"a:1:{s:4:"name";s:5:"alice";}"#.utf8)
            try worker.send(
                [
                    GatewayPacket(command: .setSession, connectionID: aliceID, flags: .bodyIsScalar, extData: session),
                    GatewayPacket(
                        command: .bindUID, connectionID: aliceID, flags: .bodyIsScalar, extData: Array("7".utf8)),
                    GatewayPacket(
                        command: .joinGroup, connectionID: bobID, flags: .bodyIsScalar, extData: Array("room".utf8)),
                    GatewayPacket(
                        command: .joinGroup, connectionID: aliceID, flags: .bodyIsScalar, extData: Array("room".utf8)),
                ], link: 0)
            try alice.send("hi\n")
            #expect(try worker.nextEvent(.onMessage).packet.extData == session)

            let new = try Self.successor(of: old, echo: false)
            defer { new.stop() }
            try Self.moveEveryShard(from: old, to: new)
            // The old process closed its side of the worker link (so the worker reconnects, to the new one).
            #expect(worker.links[0].waitForClose())
            // An event with no worker connected is buffered, not a reason to close the client.
            try alice.send("while workers reconnect\n")
            #expect(new.waitForUpstream { $0.takeoverEventsBuffered >= 1 })
            let returning = try TestWorker(addresses: new.innerAddresses)
            let buffered = try returning.nextEvent(.onMessage)
            #expect(buffered.connectionID == aliceID)
            #expect(buffered.packet.body == Array("while workers reconnect".utf8))
            #expect(buffered.packet.extData == session)

            try bob.send("still bob\n")
            #expect(try returning.nextEvent(.onMessage).connectionID == bobID)
            try returning.send(
                GatewayPacket(
                    command: .sendToGroup, flags: .bodyIsScalar, extData: Array(#"{"group":["room"]}"#.utf8),
                    body: Array("g".utf8)), link: 0)
            #expect(try alice.receive(exactly: 2) == Array("g\n".utf8))
            #expect(try bob.receive(exactly: 2) == Array("g\n".utf8))
            let ids = try returning.query(
                GatewayPacket(command: .getClientIDByUID, flags: .bodyIsScalar, extData: Array("7".utf8)), link: 0)
            #expect(ids == Array("a:1:{i:0;i:\(aliceID);}".utf8))
            // The next connection id continues the old counter, and ON_CLOSE carries the session.
            let carol = try TestClient(port: old.port())
            #expect(try returning.nextEvent(.onConnect).connectionID == max(aliceID, bobID) + 1)
            _ = carol
            alice.reset()
            let close = try returning.nextEvent(.onClose)
            #expect(close.connectionID == aliceID && close.packet.extData == session)
        }
    }

    @Test(.timeLimit(.minutes(1))) func anAbandonedHandoverServesEveryClientAgain() throws {
        guard Self.supported() else {
            print("skipped: this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8)")
            return
        }
        try withGateway(listeners: ["websocket://127.0.0.1:0"], shards: 1) { old in
            let client = try WebSocketTestClient(port: old.port())
            try client.send(text: "one")
            #expect(try client.receiveFrame().text == "one")
            let export = try old.beginHandover(shard: 0, timeoutSeconds: 5).get()
            #expect(export.slots.count == 1)
            // Paused: what the client sends now waits in the socket.
            try client.send(text: "two")
            let descriptors = try old.installDescriptors(shard: 0, slots: export.slots).get()
            for descriptor in descriptors { close(descriptor) }
            old.abortHandover(shard: 0, reason: "test")
            #expect(try client.receiveFrame().text == "two")
            let fresh = try WebSocketTestClient(port: old.port())
            try fresh.send(text: "three")
            #expect(try fresh.receiveFrame().text == "three")
            #expect(old.totalCounters().takeoversFailed == 1)
        }
    }

    @Test(.timeLimit(.minutes(1))) func theHeartbeatCarriesOnInTheNewProcess() throws {
        guard Self.supported() else {
            print("skipped: this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8)")
            return
        }
        // Ping every 0.4 s (a pass every 0.2 s), close after one silent interval: a silent client gets a
        // ping, then is closed; a client that talks is kept.
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { configuration in
            configuration.upstream?.pingIntervalNanoseconds = 400_000_000
            configuration.upstream?.pingNotResponseLimit = 1
            configuration.upstream?.pingData = Array("ping".utf8)
        } _: { old in
            let worker = try TestWorker(addresses: old.innerAddresses)
            #expect(old.waitForUpstream { $0.workerRegistrations >= 1 })
            let silent = try TestClient(port: old.port())
            _ = try worker.nextEvent(.onConnect)
            let new = try Self.successor(of: old, echo: false)
            defer { new.stop() }
            try Self.moveEveryShard(from: old, to: new)
            // The new process pings and then closes the silent client: its counter came along and runs on.
            #expect(try silent.receive(exactly: 5) == Array("ping\n".utf8))
            #expect(silent.waitForClose())
            #expect(new.waitFor { $0.closes[.heartbeatTimeout] == 1 })
        }
    }

    @Test(.timeLimit(.minutes(1))) func tlsClientsAreClosedGracefullyAndPlainOnesMove() throws {
        guard Self.supported() else {
            print("skipped: this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8)")
            return
        }
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        try withGateway(
            listeners: ["text://127.0.0.1:0", "text://127.0.0.1:0"], shards: 1,
            configure: {
                $0.listeners[0].tls = TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)
            }
        ) { old in
            let secure = try TLSTestClient(
                port: old.port(0), context: try TLSContext(clientTrusting: certificates.caPath))
            try secure.send("over tls\n")
            #expect(try secure.receive(exactly: 9) == Array("over tls\n".utf8))
            let plain = try TestClient(port: old.port(1))
            try plain.send("plain\n")
            #expect(try plain.receive(exactly: 6) == Array("plain\n".utf8))
            let new = try Self.successor(of: old, echo: true)
            defer { new.stop() }
            try Self.moveEveryShard(from: old, to: new)
            // The TLS session cannot move: the client gets close_notify and a FIN, and reconnects.
            #expect(secure.waitForClose())
            #expect(secure.closedByPeer)
            #expect(old.totalCounters().closes[.takeover] == 1)
            try plain.send("still here\n")
            #expect(try plain.receive(exactly: 11) == Array("still here\n".utf8))
            #expect(new.totalCounters().takeoverAdopted == 1)
        }
    }
}
