import Glibc
import RingGate
import RingGateCodecs
import RingGateRuntime
import TestSupport
import Testing

/// The gateway against a bare GatewayProtocol worker over loopback, 2 shards: events, commands,
/// authorisation, stream reassembly, routing, heartbeat (spec §2–§7).
@Suite(.serialized) struct GatewayWorkerTests {
    /// A text client and the ON_CONNECT its connection produced.
    struct Connected {
        var client: TestClient
        var event: TestWorker.Event
        var link: Int { event.link }
        var connectionID: UInt32 { event.connectionID }
    }

    /// A worker registered with every shard (waits for the registrations to land).
    static func worker(_ server: GatewayServer, key: String = "TestBW:0") throws -> TestWorker {
        let before = server.totalUpstream().workerRegistrations
        let worker = try TestWorker(addresses: server.innerAddresses, workerKey: key)
        let expected = before + UInt64(server.innerAddresses.count)
        try #require(server.waitForUpstream { $0.workerRegistrations >= expected })
        return worker
    }

    static func connect(_ server: GatewayServer, _ worker: TestWorker) throws -> Connected {
        let client = try TestClient(port: server.port())
        let event = try worker.nextEvent(.onConnect)
        #expect(event.packet.header.clientPort == client.localPort)
        return Connected(client: client, event: event)
    }

    /// Connects text clients until both shards have at least one.
    static func clientsOnEveryShard(_ server: GatewayServer, _ worker: TestWorker) throws -> [Connected] {
        var clients: [Connected] = []
        while Set(clients.map(\.link)).count < server.innerAddresses.count {
            clients.append(try connect(server, worker))
            try #require(clients.count < 64, "the kernel never spread connections over both shards")
        }
        return clients
    }

    @Test func eventsCarryTheShardAddressAndSendsReachTheClient() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"]) { server in
            let worker = try Self.worker(server)
            #expect(server.waitForUpstream { $0.workersRegistered == 2 })
            let connected = try Self.connect(server, worker)
            let header = connected.event.packet.header
            #expect(header.flags == .bodyIsScalar && header.localIP == 0x7F00_0001)
            #expect(header.localPort == server.innerAddresses[connected.link].port)
            #expect(header.clientIP == 0x7F00_0001 && header.gatewayPort == server.port())
            #expect(header.connectionID == 1)
            try connected.client.send("hello\n")
            let message = try worker.nextEvent(.onMessage)
            #expect(message.packet.body == Array("hello".utf8) && message.link == connected.link)
            #expect(message.packet.header.flags == .bodyIsScalar)
            try worker.send(
                GatewayPacket(
                    command: .sendToOne, connectionID: connected.connectionID, flags: .bodyIsScalar,
                    body: Array("to-one".utf8)), link: connected.link)
            #expect(try connected.client.receive(exactly: 7) == Array("to-one\n".utf8))
            // Raw: written verbatim, no `\n`.
            try worker.send(
                GatewayPacket(
                    command: .sendToOne, connectionID: connected.connectionID,
                    flags: [.bodyIsScalar, .notCallEncode], body: Array("raw".utf8)), link: connected.link)
            #expect(try connected.client.receive(exactly: 3) == Array("raw".utf8))
            // The session travels with every later event, ON_CLOSE included.
            let session = Array(#"a:1:{s:1:"n";i:1;}"#.utf8)
            try worker.send(
                GatewayPacket(
                    command: .setSession, connectionID: connected.connectionID, flags: .bodyIsScalar,
                    extData: session), link: connected.link)
            try connected.client.send("again\n")
            #expect(try worker.nextEvent(.onMessage).packet.extData == session)
            connected.client.reset()
            let close = try worker.nextEvent(.onClose)
            #expect(close.connectionID == connected.connectionID && close.packet.extData == session)
        }
    }

    @Test func clientsAreClosedAtOnceWhenNoWorkerIsRegistered() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"]) { server in
            let client = try TestClient(port: server.port())
            #expect(client.waitForClose())
            #expect(server.waitForUpstream { $0.eventsWithoutWorker >= 1 })
            #expect(server.waitFor { $0.closes[.noWorker] == 1 })
        }
    }

    @Test func secretsAreCheckedOnEveryAuthPacketAndUnauthorisedCommandsClose() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { configuration in
            configuration.upstream?.secretKey = "sek"
        } _: { server in
            let wrong = try TestWorker(addresses: server.innerAddresses, secretKey: "nope")
            #expect(wrong.links[0].waitForClose())
            let anonymous = try TestWorker(addresses: server.innerAddresses, authenticate: false)
            try anonymous.send(GatewayPacket(command: .isOnline, connectionID: 1, flags: .bodyIsScalar), link: 0)
            #expect(anonymous.links[0].waitForClose())
            #expect(server.waitForUpstream { $0.authenticationFailures == 1 && $0.unauthorisedRequests == 1 })
            // GatewayClient style: auth before every request, replies only for queries.
            let reply = try anonymous.query(
                GatewayPacket(command: .getClientCountByGroup, flags: .bodyIsScalar), link: 0, secretKey: "sek")
            #expect(reply == Array("i:0;".utf8))
            let worker = try TestWorker(addresses: server.innerAddresses, secretKey: "sek")
            #expect(server.waitForUpstream { $0.workersRegistered == 1 })
            _ = try Self.connect(server, worker)
        }
    }

    @Test func packetsSplitIntoSingleBytesAndAThousandInOneWrite() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"]) { server in
            let worker = try Self.worker(server)
            let connected = try Self.connect(server, worker)
            let one = try GatewayPacket(
                command: .sendToOne, connectionID: connected.connectionID, flags: .bodyIsScalar,
                body: Array("split".utf8)
            ).encoded()
            try worker.links[connected.link].sendSlowly(one + one, pieceSize: 1, pauseMicroseconds: 100)
            #expect(try connected.client.receive(exactly: 12) == Array("split\nsplit\n".utf8))
            let packets = (0..<1000).map { index in
                GatewayPacket(
                    command: .sendToOne, connectionID: connected.connectionID, flags: .bodyIsScalar,
                    body: Array(Self.fourDigits(index).utf8))
            }
            try worker.send(packets, link: connected.link)
            let expected = (0..<1000).map { Self.fourDigits($0) + "\n" }.joined()
            #expect(try connected.client.receive(exactly: 5000) == Array(expected.utf8))
        }
    }

    @Test func malformedFramingClosesTheInnerConnectionWithoutAllocatingTheClaim() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let heapBefore = server.reports()[0].heapBytesInUse
            let worker = try Self.worker(server)
            // pack_len 10 MiB + 1: over the limit, closed as soon as the header is in.
            var header = GatewayHeader(packLength: 10_485_761, command: .sendToAll, flags: .bodyIsScalar).encoded
            header += Array(repeating: 0x41, count: 100)
            try worker.links[0].send(header)
            #expect(worker.links[0].waitForClose())
            let short = try TestWorker(addresses: server.innerAddresses)
            try short.links[0].send(GatewayHeader(packLength: 27, command: .sendToAll).encoded)
            #expect(short.links[0].waitForClose())
            let ext = try TestWorker(addresses: server.innerAddresses)
            try ext.links[0].send(GatewayHeader(packLength: 30, command: .sendToAll, extLength: 3).encoded)
            #expect(ext.links[0].waitForClose())
            #expect(server.waitForUpstream { $0.malformedPackets == 3 })
            #expect(server.reports()[0].heapBytesInUse - heapBefore < 1 << 20)
            // Unknown commands are logged and ignored; the connection stays.
            let fine = try Self.worker(server)
            try fine.send(GatewayPacket(command: GatewayCommand(rawValue: 99), flags: .bodyIsScalar), link: 0)
            #expect(server.waitForUpstream { $0.unknownCommands == 1 })
            _ = try Self.connect(server, fine)
        }
    }

    @Test func eventsBeyondTheWorkerPacketLimitAreDroppedAndCounted() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { configuration in
            configuration.upstream?.maxPackageLength = 1000
        } _: { server in
            let worker = try Self.worker(server)
            let connected = try Self.connect(server, worker)
            try connected.client.send(String(repeating: "x", count: 2000) + "\nsmall\n")
            #expect(try worker.nextEvent(.onMessage).packet.body == Array("small".utf8))
            #expect(server.reports()[0].counters.upstream?.eventsTooLarge == 1)
        }
    }

    @Test func commandsWrittenJustBeforeEOFAllRun() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let worker = try Self.worker(server)
            let connected = try Self.connect(server, worker)
            let pusher = try TestClient(port: server.innerAddresses[0].port)
            var bytes: [UInt8] = []
            for text in ["a", "b", "c"] {
                bytes += try GatewayPacket(
                    command: .sendToOne, connectionID: connected.connectionID, flags: .bodyIsScalar,
                    body: Array(text.utf8)
                ).encoded()
            }
            try pusher.send(bytes)
            pusher.shutdownWrite()
            #expect(try connected.client.receive(exactly: 6) == Array("a\nb\nc\n".utf8))
            #expect(pusher.waitForClose())
        }
    }

    @Test func broadcastReachesClientsOnBothShardsOnce() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"]) { server in
            let worker = try Self.worker(server)
            let clients = try Self.clientsOnEveryShard(server, worker)
            for link in worker.links.indices {
                try worker.send(
                    GatewayPacket(command: .sendToAll, flags: .bodyIsScalar, body: Array("all".utf8)), link: link)
            }
            for connected in clients { #expect(try connected.client.receive(exactly: 4) == Array("all\n".utf8)) }
            // Aggregated over both gateway addresses, as Lib\Gateway does.
            var total = 0
            for link in worker.links.indices {
                let reply = try worker.query(
                    GatewayPacket(command: .getClientCountByGroup, flags: .bodyIsScalar), link: link)
                total += Int(String(decoding: reply.dropFirst(2).dropLast(), as: UTF8.self)) ?? -1
            }
            #expect(total == clients.count)
        }
    }

    @Test func groupsWithExcludeUidsAndDuplicates() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let worker = try Self.worker(server)
            let a = try Self.connect(server, worker)
            let b = try Self.connect(server, worker)
            for connected in [a, b] {
                try worker.send(
                    [
                        GatewayPacket(
                            command: .joinGroup, connectionID: connected.connectionID,
                            flags: .bodyIsScalar, extData: Array("room".utf8)),
                        GatewayPacket(
                            command: .bindUID, connectionID: connected.connectionID, flags: .bodyIsScalar,
                            extData: Array("42".utf8)),
                    ], link: 0)
            }
            try worker.send(
                GatewayPacket(
                    command: .joinGroup, connectionID: a.connectionID, flags: .bodyIsScalar,
                    extData: Array("other".utf8)), link: 0)
            let exclude = #"{"group":["room","other"],"exclude":{"\#(b.connectionID)":\#(b.connectionID)}}"#
            try worker.send(
                GatewayPacket(
                    command: .sendToGroup, flags: .bodyIsScalar, extData: Array(exclude.utf8),
                    body: Array("g".utf8)), link: 0)
            // a is in both listed groups: twice (spec §4.4); b is excluded.
            #expect(try a.client.receive(exactly: 4) == Array("g\ng\n".utf8))
            try worker.send(
                GatewayPacket(
                    command: .sendToUID, flags: .bodyIsScalar, extData: Array("[42]".utf8),
                    body: Array("u".utf8)), link: 0)
            #expect(try a.client.receive(exactly: 2) == Array("u\n".utf8))
            #expect(try b.client.receive(exactly: 2) == Array("u\n".utf8))
            let ids = try worker.query(
                GatewayPacket(command: .getClientIDByUID, flags: .bodyIsScalar, extData: Array("42".utf8)), link: 0)
            #expect(ids == Array("a:2:{i:0;i:\(a.connectionID);i:1;i:\(b.connectionID);}".utf8))
        }
    }

    @Test func kickFlushesItsMessageThenClosesAndDestroyClosesAtOnce() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let worker = try Self.worker(server)
            let kicked = try Self.connect(server, worker)
            let destroyed = try Self.connect(server, worker)
            try worker.send(
                GatewayPacket(
                    command: .kick, connectionID: kicked.connectionID, flags: .bodyIsScalar,
                    body: Array("bye".utf8)), link: 0)
            #expect(try kicked.client.receiveUntilClosed() == Array("bye\n".utf8))
            #expect(try worker.nextEvent(.onClose).connectionID == kicked.connectionID)
            try worker.send(
                GatewayPacket(command: .destroy, connectionID: destroyed.connectionID, flags: .bodyIsScalar),
                link: 0)
            #expect(destroyed.client.waitForClose())
            #expect(server.waitFor { $0.closes[.kicked] == 1 && $0.closes[.destroyed] == 1 })
        }
    }

    @Test func heartbeatClosesSilentClientsWithinTheWindowAndPingsThem() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { configuration in
            configuration.upstream?.pingIntervalNanoseconds = 400_000_000
            configuration.upstream?.pingNotResponseLimit = 1
            configuration.upstream?.pingData = Array("ping".utf8)
        } _: { server in
            let worker = try Self.worker(server)
            let silent = try Self.connect(server, worker)
            let chatty = try Self.connect(server, worker)
            let start = monotonicSeconds()
            var chattyAlive = true
            while monotonicSeconds() - start < 1.2 {
                try chatty.client.send("x\n")
                usleep(100_000)
            }
            // T = 0.4, L = 1: a ping when t ∈ (0.4, 0.6], closed when t ∈ (0.6, 0.8] (spec §7.3).
            let received = try silent.client.receiveUntilClosed()
            #expect(received == Array("ping\n".utf8))
            #expect(server.waitFor { $0.closes[.heartbeatTimeout] == 1 })
            chattyAlive = (try? chatty.client.send("y\n")) != nil
            #expect(chattyAlive)
        }
    }

    @Test func aRestartedWorkerTakesOverWhileClientsStayConnected() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            var first: TestWorker? = try Self.worker(server, key: "BW:0")
            let connected = try Self.connect(server, first!)
            first!.links[0].reset()
            first = nil
            #expect(server.waitForUpstream { $0.workersRegistered == 0 })
            let second = try Self.worker(server, key: "BW:1")
            try connected.client.send("still here\n")
            let message = try second.nextEvent(.onMessage)
            #expect(message.packet.body == Array("still here".utf8))
            #expect(server.waitForUpstream { $0.rebinds == 1 })
            // Same key again: the newer connection replaces the older one, which is closed.
            let third = try Self.worker(server, key: "BW:1")
            #expect(second.links[0].waitForClose())
            try connected.client.send("again\n")
            #expect(try third.nextEvent(.onMessage).packet.body == Array("again".utf8))
            #expect(server.waitForUpstream { $0.workerReplacements == 1 && $0.workersRegistered == 1 })
        }
    }

    static func fourDigits(_ value: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }

}

/// WebSocket clients through the gateway: event order around the handshake (spec §4.2, §10.2).
@Suite(.serialized) struct GatewayWebSocketTests {
    @Test func connectThenWebSocketConnectBeforeThe101AndEarlySendsFollowIt() throws {
        try withWorkerGateway(listeners: ["websocket://127.0.0.1:0"], shards: 1) { server in
            let worker = try GatewayWorkerTests.worker(server)
            let client = try TestClient(port: server.port())
            let connect = try worker.nextEvent()
            #expect(connect.command == .onConnect)
            // A send before the handshake is queued and written right after the 101.
            try worker.send(
                GatewayPacket(
                    command: .sendToOne, connectionID: connect.connectionID, flags: .bodyIsScalar,
                    body: Array("early".utf8)), link: 0)
            let head =
                "GET /chat?token=abc&x[]=1&x[]=2 HTTP/1.1\r\nHost: 127.0.0.1:8282\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: R+NprMkZ59pF3VhR3uRmlQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Cookie: sid=xyz; lang=zh%20CN\r\nX-Forwarded-For: 10.1.2.3\r\n\r\n"
            try client.send(head)
            let upgrade = try worker.nextEvent()
            #expect(upgrade.command == .onWebSocketConnect && upgrade.packet.header.flags == [])
            // The body §10.2 captured from workerman 4.2.1 for this request.
            let expected =
                #"a:3:{s:3:"get";a:2:{s:5:"token";s:3:"abc";s:1:"x";a:2:{i:0;s:1:"1";i:1;s:1:"2";}}s:6:"server";a:13:{s:14:"REQUEST_METHOD";s:3:"GET";s:11:"REQUEST_URI";s:27:"/chat?token=abc&x[]=1&x[]=2";s:15:"SERVER_PROTOCOL";s:8:"HTTP/1.1";s:9:"HTTP_HOST";s:14:"127.0.0.1:8282";s:11:"SERVER_NAME";s:9:"127.0.0.1";s:11:"SERVER_PORT";s:4:"8282";s:12:"HTTP_UPGRADE";s:9:"websocket";s:15:"HTTP_CONNECTION";s:7:"Upgrade";s:22:"HTTP_SEC_WEBSOCKET_KEY";s:24:"R+NprMkZ59pF3VhR3uRmlQ==";s:26:"HTTP_SEC_WEBSOCKET_VERSION";s:2:"13";s:11:"HTTP_COOKIE";s:21:"sid=xyz; lang=zh%20CN";s:20:"HTTP_X_FORWARDED_FOR";s:8:"10.1.2.3";s:12:"QUERY_STRING";s:21:"token=abc&x[]=1&x[]=2";}s:6:"cookie";a:2:{s:3:"sid";s:3:"xyz";s:4:"lang";s:5:"zh CN";}}"#
            #expect(upgrade.packet.body == Array(expected.utf8))
            var response: [UInt8] = []
            while !response.ends(with: Array("\r\n\r\n".utf8)) { response += try client.receive(exactly: 1) }
            #expect(String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
            #expect(try client.receive(exactly: 7) == [0x81, 0x05] + Array("early".utf8))
        }
    }
}

extension GatewayWebSocketTests {
    @Test func mirrorFrameTypeAnswersBinaryClientsInBinary() throws {
        try withWorkerGateway(listeners: ["websocket://127.0.0.1:0"], shards: 1) { configuration in
            configuration.listeners[0].webSocket.outgoingFrameType = .mirror
        } _: { server in
            let worker = try GatewayWorkerTests.worker(server)
            let client = try WebSocketTestClient(port: server.port())
            let connect = try worker.nextEvent(.onConnect)
            try worker.send(
                GatewayPacket(
                    command: .sendToOne, connectionID: connect.connectionID, flags: .bodyIsScalar,
                    body: Array("t".utf8)), link: 0)
            #expect(try client.receiveFrame() == .init(fin: true, opcode: 1, payload: Array("t".utf8)))
            try client.send(binary: [1, 2, 3])
            _ = try worker.nextEvent(.onMessage)
            for link in worker.links.indices {
                try worker.send(
                    GatewayPacket(command: .sendToAll, flags: .bodyIsScalar, body: [9]), link: link)
            }
            #expect(try client.receiveFrame() == .init(fin: true, opcode: 2, payload: [9]))
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
