import Dispatch
import Glibc
import RingGate
import RingGateCodecs
import RingGateRuntime
import TestSupport
import Testing

/// The worker side (inner connections) under hostile or broken peers, one shard over loopback: no peer
/// can crash, freeze or exhaust the gateway (issue 11).
@Suite(.serialized) struct InnerHardeningTests {
    /// A worker registered with the single shard, and a text client whose ON_CONNECT reached it.
    static func workerAndClient(_ server: GatewayServer, key: String = "BW:0") throws -> (TestWorker, TestClient) {
        let worker = try TestWorker(addresses: server.innerAddresses, workerKey: key)
        try #require(server.waitForUpstream { $0.workersRegistered == 1 })
        let client = try TestClient(port: server.port())
        _ = try worker.nextEvent(.onConnect)
        return (worker, client)
    }

    /// A fresh GatewayClient-style link that sends `request` and reads the reply payload.
    static func query(_ server: GatewayServer, _ request: GatewayPacket, timeoutSeconds: Int = 5) throws -> [UInt8] {
        let link = try TestClient(
            port: server.innerAddresses[0].port, host: server.innerAddresses[0].host, timeoutSeconds: timeoutSeconds)
        try link.send(try request.encoded())
        let length = try link.receive(exactly: 4).reduce(0) { $0 << 8 | Int($1) }
        return try link.receive(exactly: length)
    }

    @Test func seventyThousandWorkerKeysOnOneLinkDoNotExhaustTheWorkerTable() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let flood = try TestClient(port: server.innerAddresses[0].port, host: server.innerAddresses[0].host)
            var bytes: [UInt8] = []
            for number in 0..<70_000 {
                bytes += try TestWorker.workerConnect(workerKey: "Flood:\(number)", secretKey: "").encoded()
            }
            try flood.send(bytes)
            #expect(server.waitForUpstream(seconds: 20) { $0.workerRegistrations >= 70_000 })
            // Each key was forgotten as the link moved on: one key is known, and it routes.
            let upstream = server.totalUpstream()
            #expect(upstream.workerKeys == 1 && upstream.workersRegistered == 1)
            let client = try TestClient(port: server.port())
            try client.send("hi\n")
            var assembler = GatewayPacketAssembler()
            var commands: [GatewayCommand] = []
            while commands.count < 2 {
                let received = try flood.receiveAvailable()
                try #require(!received.isEmpty)
                assembler.append(received)
                while let packet = try assembler.nextPacket() { commands.append(packet.header.command) }
            }
            #expect(commands == [.onConnect, .onMessage])
        }
    }

    @Test func aFullWorkerKeyTableRefusesNewKeysButKeepsStickyBindings() throws {
        try withWorkerGateway(
            listeners: ["text://127.0.0.1:0"], shards: 1, configure: { $0.upstream?.workerKeyLimit = 2 }
        ) { server in
            let (first, client) = try Self.workerAndClient(server, key: "A")
            // The link moves to key B: A has no connection, but the client bound to it keeps it known.
            try first.send(TestWorker.workerConnect(workerKey: "B", secretKey: ""), link: 0)
            #expect(server.waitForUpstream { $0.workerRegistrations == 2 })
            #expect(server.totalUpstream().workerKeys == 2)
            let refused = try TestWorker(addresses: server.innerAddresses, workerKey: "C")
            #expect(server.waitForUpstream { $0.workerKeysRefused == 1 })
            #expect(refused.links[0].waitForClose())
            // The client's next event finds A gone and rebinds to B; A is forgotten, C now fits.
            try client.send("again\n")
            #expect(try first.nextEvent(.onMessage).packet.body == Array("again".utf8))
            let admitted = try TestWorker(addresses: server.innerAddresses, workerKey: "C")
            #expect(server.waitForUpstream { $0.workersRegistered == 2 })
            #expect(server.totalUpstream().workerKeysRefused == 1)
            _ = admitted
        }
    }

    @Test func aSelectOfThreeHundredThousandFieldsDoesNotFreezeTheShard() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let (worker, client) = try Self.workerAndClient(server)
            _ = (worker, client)
            let fields = (0..<300_000).map { JSONValue.string("field\($0)") }
            let select = GatewayPacket(
                command: .select, extData: JSONWriter.encode(.object([("fields", .array(fields))])))
            let big = try TestClient(
                port: server.innerAddresses[0].port, host: server.innerAddresses[0].host, timeoutSeconds: 30)
            try big.send(try select.encoded())
            // Answered (one client × 300,000 fields fits the reply limit) without stalling the shard for
            // long: a second query right behind it gets its answer within a bounded time.
            let started = monotonicSeconds()
            #expect(try Self.query(server, GatewayPacket(command: .isOnline, connectionID: 1)) == Array("i:1;".utf8))
            #expect(monotonicSeconds() - started < 5)
            let length = try big.receive(exactly: 4).reduce(0) { $0 << 8 | Int($1) }
            let reply = try big.receive(exactly: length)
            let expected = Array("a:1:{i:1;a:300000:{s:6:\"field0\";N;".utf8)
            let answered = reply.count > 3_000_000 && Array(reply.prefix(expected.count)) == expected
            #expect(answered, "select reply of \(reply.count) bytes")
        }
    }

    @Test func aQueryReplyOverTheLimitIsAbandonedAndItsLinkClosed() throws {
        try withWorkerGateway(
            listeners: ["text://127.0.0.1:0"], shards: 1, configure: { $0.upstream?.queryReplyLimit = 100_000 }
        ) { server in
            let (worker, client) = try Self.workerAndClient(server)
            _ = (worker, client)
            let fields = (0..<20_000).map { JSONValue.string("f\($0)") }
            let select = GatewayPacket(
                command: .select, extData: JSONWriter.encode(.object([("fields", .array(fields))])))
            let link = try TestClient(port: server.innerAddresses[0].port, host: server.innerAddresses[0].host)
            try link.send(try select.encoded())
            // Closed with no reply: a GatewayClient sees a failure instead of waiting forever.
            #expect(link.waitForClose() && link.received.isEmpty)
            #expect(server.totalUpstream().queryRepliesTooLarge == 1)
            #expect(try Self.query(server, GatewayPacket(command: .isOnline, connectionID: 1)) == Array("i:1;".utf8))
        }
    }

    @Test func unreadQueryRepliesStayBounded() throws {
        let limit = 1 << 20
        try withWorkerGateway(
            listeners: ["text://127.0.0.1:0"], shards: 1, configure: { $0.upstream?.workerSendQueueLimit = limit }
        ) { server in
            let worker = try TestWorker(addresses: server.innerAddresses)
            try #require(server.waitForUpstream { $0.workersRegistered == 1 })
            // 20 clients with 50 KB sessions: every getAllClientSessions reply is about 1 MB.
            var clients: [TestClient] = []
            for _ in 0..<20 {
                clients.append(try TestClient(port: server.port()))
                let connected = try worker.nextEvent(.onConnect)
                try worker.send(
                    GatewayPacket(
                        command: .setSession, connectionID: connected.connectionID,
                        extData: [UInt8](repeating: 0x61, count: 50_000)), link: 0)
            }
            #expect(try Self.query(server, GatewayPacket(command: .getAllClientSessions)).count > 1_000_000)
            // A reader that pipelines 200 requests (≈ 200 MB of replies) and never reads.
            let reader = try TestClient(port: server.innerAddresses[0].port, host: server.innerAddresses[0].host)
            var requests: [UInt8] = []
            for _ in 0..<200 { requests += try GatewayPacket(command: .getAllClientSessions).encoded() }
            try reader.send(requests)
            #expect(server.waitForUpstream(seconds: 10) { $0.queryReplyBacklogCloses == 1 })
            let report = try #require(server.reports().first)
            // Output chunks stay in the order of the queue limit, not of 200 replies.
            #expect(report.slabBytesInUse + report.heapBytesInUse < 8 * limit)
            #expect(reader.waitForClose())
        }
    }

    @Test func repeatedUIDsInOneSendToUIDAreDeliveredOnce() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let (worker, client) = try Self.workerAndClient(server)
            try worker.send(GatewayPacket(command: .bindUID, connectionID: 1, extData: Array("u".utf8)), link: 0)
            let uids = JSONWriter.encode(.array(Array(repeating: .string("u"), count: 100_000)))
            try worker.send(
                GatewayPacket(command: .sendToUID, flags: .bodyIsScalar, extData: uids, body: Array("x".utf8)), link: 0)
            try worker.send(
                GatewayPacket(command: .sendToOne, connectionID: 1, flags: .bodyIsScalar, body: Array("end".utf8)),
                link: 0)
            #expect(try client.receive(exactly: 6) == Array("x\nend\n".utf8))
            #expect(server.waitForUpstream { $0.multicastRepeatsCollapsed == 1 })
        }
    }

    @Test func elevenHundredIdleInnerSocketsDoNotLockAWorkerOut() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let address = server.innerAddresses[0]
            let idle = try (0..<1_100).map { _ in try TestClient(port: address.port, host: address.host) }
            #expect(server.waitForUpstream { $0.innerOpen == 1_100 })
            let (worker, client) = try Self.workerAndClient(server)
            try client.send("through\n")
            #expect(try worker.nextEvent(.onMessage).packet.body == Array("through".utf8))
            _ = idle
        }
    }

    @Test func aFullInnerTableEvictsTheOldestUnauthenticatedLink() throws {
        try withWorkerGateway(
            listeners: ["text://127.0.0.1:0"], shards: 1, configure: { $0.upstream?.innerConnectionLimit = 64 }
        ) { server in
            let address = server.innerAddresses[0]
            var idle: [TestClient] = []
            for _ in 0..<100 {
                idle.append(try TestClient(port: address.port, host: address.host))
                usleep(2_000)  // accepted in order, so "oldest" is well defined
            }
            // 100 links through 64 slots: the oldest are evicted (or, racing a close, refused by the kernel).
            #expect(server.waitForUpstream { $0.innerEvictions + $0.innerAcceptFailures >= 36 })
            #expect(server.totalUpstream().innerEvictions >= 1)
            #expect(idle[0].waitForClose())
            let (worker, client) = try Self.workerAndClient(server)
            try client.send("room\n")
            #expect(try worker.nextEvent(.onMessage).packet.body == Array("room".utf8))
        }
    }

    @Test func unauthenticatedLinksHaveADeadlineAndASmallPacketLimit() throws {
        try withWorkerGateway(
            listeners: ["text://127.0.0.1:0"], shards: 1,
            configure: {
                $0.upstream?.secretKey = "s3cret"
                $0.upstream?.innerHandshakeTimeoutNanoseconds = 1_000_000_000
            }
        ) { server in
            let address = server.innerAddresses[0]
            let silent = try TestClient(port: address.port, host: address.host)
            // A header announcing 1 MiB before the secret was checked: closed at once (limit 64 KiB).
            let large = try TestClient(port: address.port, host: address.host)
            let header = GatewayHeader(packLength: 1 << 20, command: .sendToAll, flags: .bodyIsScalar)
            try large.send(header.withEncodedBytes { [UInt8](copying: $0) })
            #expect(large.waitForClose())
            #expect(server.totalUpstream().malformedPackets == 1)
            // The silent link is closed by the handshake deadline.
            let started = monotonicSeconds()
            #expect(silent.waitForClose())
            #expect(monotonicSeconds() - started < 4.5)
            #expect(server.totalUpstream().innerHandshakeTimeouts >= 1)
            // An authenticated worker idles past the deadline and stays (no idle timeout, spec §5.1).
            let worker = try TestWorker(addresses: server.innerAddresses, secretKey: "s3cret")
            try #require(server.waitForUpstream { $0.workersRegistered == 1 })
            usleep(2_500_000)
            #expect(server.totalUpstream().workersRegistered == 1)
            let client = try TestClient(port: server.port())
            #expect(try worker.nextEvent(.onConnect).command == .onConnect)
            _ = client
        }
    }

    @Test func theSecretIsComparedByteForByteNotAsUnicodeText() throws {
        try withWorkerGateway(
            listeners: ["text://127.0.0.1:0"], shards: 1, configure: { $0.upstream?.secretKey = "caf\u{E9}" }
        ) { server in
            // "cafe" + combining acute is canonically equivalent to "café" (Swift's == says equal), but it
            // is another byte string, and PHP's !== refuses it.
            let lookalike = try TestWorker(addresses: server.innerAddresses, secretKey: "cafe\u{301}")
            #expect(lookalike.links[0].waitForClose())
            #expect(server.totalUpstream().authenticationFailures == 1)
            let worker = try TestWorker(addresses: server.innerAddresses, secretKey: "caf\u{E9}")
            #expect(server.waitForUpstream { $0.workersRegistered == 1 })
            _ = worker
        }
    }

    @Test func shutdownEndsWhileAWorkerHasStoppedReading() throws {
        var configuration = try testWorkerGatewayConfiguration(listeners: ["text://127.0.0.1:0"], shards: 1)
        configuration.upstream?.innerCloseTimeoutNanoseconds = 1_000_000_000
        let server = try GatewayServer(configuration: configuration, logger: testLogger)
        let stalled = try TestWorker(addresses: server.innerAddresses)  // registers, never reads
        try #require(server.waitForUpstream { $0.workersRegistered == 1 })
        let line = [UInt8](repeating: 0x62, count: 65_535) + [0x0A]
        var clients: [TestClient] = []
        for _ in 0..<4 {
            let client = try TestClient(port: server.port())
            for _ in 0..<16 { try client.send(line) }  // 4 MiB of events for the stalled worker
            clients.append(client)
        }
        #expect(server.waitForUpstream { $0.eventsForwarded >= 40 })
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            server.drainAndStop(drainSeconds: 1)
            finished.signal()
        }
        // Drain time (1 s) + close deadline (1 s) + a maintenance tick, well within 8 s.
        let ended = finished.wait(timeout: .now() + 8) == .success
        #expect(ended, "shutdown still running after 8 s with a worker that does not read")
        _ = (stalled, clients)
    }
}
