import RingGateCodecs
import RingGateWorkerKit
import Testing

/// Queries from a worker to fake gateways: separate query connections with the auth prefix, replies
/// merged across gateways, pipelining, timeouts.
@Suite(.timeLimit(.minutes(1)))
struct QueryTests {
    /// A query connection accepted at `listener`: checks the auth prefix and returns the request.
    private func acceptQuery(_ listener: FakeListener) async throws -> (FakePeer, GatewayPacket) {
        let peer = try await listener.accept()
        #expect(try await peer.receivePacketBytes() == Vectors.gatewayClientConnect)
        return (peer, try await peer.receivePacket())
    }

    @Test func isOnlineAsksTheClientsGatewayOverAQueryConnection() async throws {
        let gateway = try FakeListener()
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: EventLog()))
        {
            worker in
            _ = try await acceptWorkerLink(gateway, worker: worker)
            async let online = worker.gateway.isOnline(clientID(on: gateway, 1))
            let peer = try await gateway.accept()
            #expect(try await peer.receive(exactly: Vectors.gatewayClientConnect.count) == Vectors.gatewayClientConnect)
            #expect(try await peer.receivePacketBytes() == Vectors.isOnlineCID1)
            try await peer.send(framedReply("i:1;"))
            #expect(try await online)
            // Pipelined on the same connection, replies in order (§2.4). The two `async let` calls race, so
            // the requests may arrive in either order; the replies follow the order they arrived in.
            async let offline = worker.gateway.isOnline(clientID(on: gateway, 999))
            async let session = worker.gateway.getSession(clientID(on: gateway, 1))
            var replies: [UInt8] = []
            var commands: [GatewayCommand] = []
            for _ in 0..<2 {
                #expect(try await peer.receivePacketBytes() == Vectors.gatewayClientConnect)
                let request = try await peer.receivePacket()
                commands.append(request.header.command)
                if request.header.command == .getSessionByClientID {
                    #expect(request.header.connectionID == 1)
                    replies += framedReply(#"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}"#)
                } else {
                    #expect(request.header.connectionID == 999)
                    replies += framedReply("i:0;")
                }
            }
            #expect(Set(commands) == [.isOnline, .getSessionByClientID])
            try await peer.send(replies)
            #expect(try await offline == false)
            #expect(try await session == ["name": "alice", "age": 5])
        }
    }

    @Test func aClientOnAGatewayWithoutWorkerConnectionIsOfflineWithoutAsking() async throws {
        let gateway = try FakeListener()
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: EventLog()))
        {
            worker in
            _ = try await acceptWorkerLink(gateway, worker: worker)
            let elsewhere = GatewayClientID(localIP: 0x0A00_0001, localPort: 2900, connectionID: 1)
            #expect(try await worker.gateway.isOnline(elsewhere) == false)
            #expect(try await worker.gateway.getSession(elsewhere) == nil)
            try await gateway.expectNoConnection(for: .milliseconds(50))
        }
    }

    @Test func repliesOfTwoGatewaysAreMerged() async throws {
        let first = try FakeListener()
        let second = try FakeListener()
        let configuration = testConfiguration(gateways: [first.address, second.address])
        try await withWorker(configuration, handler: RecordingHandler(log: EventLog())) { worker in
            _ = try await acceptWorkerLink(first, worker: worker)
            _ = try await acceptWorkerLink(second, worker: worker, expectedConnects: 2)

            async let ids = worker.gateway.getAllClientIdList()
            let (firstPeer, firstRequest) = try await acceptQuery(first)
            let (secondPeer, secondRequest) = try await acceptQuery(second)
            #expect(firstRequest.header.command == .select)
            #expect(firstRequest.extData == utf8(#"{"fields":["uid"],"where":[]}"#))
            #expect(secondRequest.extData == firstRequest.extData)
            try await secondPeer.send(framedReply(#"a:1:{i:7;a:1:{s:3:"uid";N;}}"#))
            try await firstPeer.send(framedReply(#"a:2:{i:3;a:1:{s:3:"uid";N;}i:1;a:1:{s:3:"uid";s:1:"u";}}"#))
            #expect(
                try await ids == [clientID(on: first, 3), clientID(on: first, 1), clientID(on: second, 7)])

            async let count = worker.gateway.getClientIdCountByGroup("room")
            for peer in [firstPeer, secondPeer] {
                #expect(try await peer.receivePacketBytes() == Vectors.gatewayClientConnect)
                let request = try await peer.receivePacket()
                #expect(request.header.command == .getClientCountByGroup)
                #expect(request.extData == utf8("room"))
            }
            try await firstPeer.send(framedReply("i:2;"))
            try await secondPeer.send(framedReply("i:3;"))
            #expect(try await count == 5)

            async let sessions = worker.gateway.getAllClientSessions()
            for peer in [firstPeer, secondPeer] {
                #expect(try await peer.receivePacketBytes() == Vectors.gatewayClientConnect)
                #expect(try await peer.receivePacketBytes() == Vectors.getAllClientSessions)
            }
            try await firstPeer.send(framedReply(#"a:1:{i:1;s:43:"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}";}"#))
            try await secondPeer.send(framedReply("a:0:{}"))
            #expect(
                try await sessions == [
                    ClientSession(clientID: clientID(on: first, 1), session: ["name": "alice", "age": 5])
                ])
        }
    }

    @Test func getUidByClientIdAsksOnlyThatClientsGateway() async throws {
        let first = try FakeListener()
        let second = try FakeListener()
        let configuration = testConfiguration(gateways: [first.address, second.address])
        try await withWorker(configuration, handler: RecordingHandler(log: EventLog())) { worker in
            _ = try await acceptWorkerLink(first, worker: worker)
            _ = try await acceptWorkerLink(second, worker: worker, expectedConnects: 2)
            async let uid = worker.gateway.getUidByClientId(clientID(on: second, 4))
            let (peer, request) = try await acceptQuery(second)
            #expect(try request.encoded() == Vectors.v21SelectUIDOfClient)
            try await peer.send(framedReply(#"a:1:{i:4;a:1:{s:3:"uid";s:17:"39069102337167360";}}"#))
            #expect(try await uid == "39069102337167360")
            try await first.expectNoConnection(for: .milliseconds(50))
        }
    }

    @Test func aMissingReplyTimesOutAndDropsTheConnection() async throws {
        let gateway = try FakeListener()
        var configuration = testConfiguration(gateways: [gateway.address])
        configuration.queryTimeout = .milliseconds(200)
        try await withWorker(configuration, handler: RecordingHandler(log: EventLog())) { worker in
            _ = try await acceptWorkerLink(gateway, worker: worker)
            let started = ContinuousClock.now
            let silent = Task { try await worker.gateway.getAllClientIdCount() }
            let (peer, _) = try await acceptQuery(gateway)
            await #expect(throws: GatewayKitError.timeout(address: gateway.address)) { try await silent.value }
            #expect(ContinuousClock.now - started >= .milliseconds(190))
            try await peer.expectClosed()
            #expect(await worker.statistics().queryTimeouts == 1)
            // The next query opens a new connection.
            async let count = worker.gateway.getAllClientIdCount()
            let (fresh, _) = try await acceptQuery(gateway)
            try await fresh.send(framedReply("i:4;"))
            #expect(try await count == 4)
        }
    }

    @Test func queriesWithoutGatewaysThrow() async throws {
        try await withWorker(testConfiguration(gateways: []), handler: RecordingHandler(log: EventLog())) { worker in
            await #expect(throws: GatewayKitError.noGatewayAddresses) { try await worker.gateway.getAllUidList() }
        }
    }

    @Test func shutdownFailsPendingQueries() async throws {
        let gateway = try FakeListener()
        let worker = try BusinessWorker(
            configuration: testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: EventLog()))
        try worker.start()
        _ = try await acceptWorkerLink(gateway, worker: worker)
        let pending = Task { try await worker.gateway.getAllGroupIdList() }
        _ = try await acceptQuery(gateway)
        await worker.shutdown()
        await #expect(throws: GatewayKitError.shutdown) { try await pending.value }
        await #expect(throws: GatewayKitError.shutdown) { try await worker.gateway.getAllGroupIdList() }
        withExtendedLifetime(gateway) {}
    }
}
