import RingGateCodecs
import RingGateWorkerKit
import Testing

/// GatewayClient against a fake Register and fake gateways.
@Suite(.timeLimit(.minutes(3)))
struct GatewayClientTests {
    /// Lookups and queries that wait for the fake Register and gateways as long as the suite may take: in
    /// the full run, synchronous end-to-end suites can hold both cooperative threads of this 2-core
    /// machine for tens of seconds, and a test must not fail because its fakes answered late.
    static let patientTimeout = Duration.seconds(120)

    @discardableResult
    private func withClient<Result>(
        _ configuration: GatewayClient.Configuration, _ body: (GatewayClient) async throws -> Result
    ) async throws -> Result {
        let client = try GatewayClient(configuration: configuration)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    @Test func looksUpTheRegisterAndPrefixesEveryRequestWithTheSecret() async throws {
        let register = try FakeListener()
        let gateway = try FakeListener()
        var configuration = GatewayClient.Configuration(
            registerAddresses: [register.address], secretKey: "sek", logger: testLogger)
        configuration.queryTimeout = Self.patientTimeout
        try await withClient(configuration) { client in
            client.gateway.sendToAll(Vectors.seedMessage)
            let lookup = try await register.accept()
            #expect(try await lookup.receiveLine() == #"{"event":"worker_connect","secret_key":"sek"}"#)
            try await lookup.send(utf8(#"{"event":"broadcast_addresses","addresses":["\#(gateway.address)"]}"# + "\n"))
            try await lookup.expectClosed()
            let peer = try await gateway.accept()
            #expect(try await peer.receivePacketBytes() == Vectors.gatewayClientConnect)
            #expect(try await peer.receivePacketBytes() == Vectors.v34SendToAll)
            try await client.gateway.flush()

            // A query within the cache lifetime reuses the list and the connection.
            async let count = client.gateway.getAllClientIdCount()
            #expect(try await peer.receivePacketBytes() == Vectors.gatewayClientConnect)
            #expect(try await peer.receivePacketBytes() == Vectors.v28CountAll)
            try await peer.send(framedReply("i:3;"))
            #expect(try await count == 3)
            try await register.expectNoConnection(for: .milliseconds(20))

            // A command for one client goes to its gateway without a lookup.
            client.gateway.bindUid(clientID(on: gateway, 1), "39069102337167360")
            #expect(try await peer.receivePacketBytes() == Vectors.gatewayClientConnect)
            #expect(try await peer.receivePacketBytes() == Vectors.v01BindUID)
        }
    }

    @Test func aHostileRegisterFailsTheLookupInsteadOfExhaustingTheClient() async throws {
        let register = try FakeListener()
        var configuration = GatewayClient.Configuration(registerAddresses: [register.address], logger: testLogger)
        configuration.queryTimeout = Self.patientTimeout
        try await withClient(configuration) { client in
            // A line without end, longer than the 1 MiB limit: the lookup gives up and closes.
            let endless = Task { try await client.gateway.getAllClientIdCount() }
            let first = try await register.accept()
            _ = try await first.receiveLine()
            try await first.send(utf8(#"{"event":"broadcast_addresses","addresses":[""#))
            try await first.send([UInt8](repeating: UInt8(ascii: "1"), count: (1 << 20) + 1024))
            try await first.expectClosed()
            await #expect(throws: GatewayKitError.registerUnavailable(reason: "Register line longer than the limit")) {
                try await endless.value
            }
            // More gateways than the 4,096 a list may name.
            let many = Task { try await client.gateway.getAllClientIdCount() }
            let second = try await register.accept()
            _ = try await second.receiveLine()
            let addresses = (1...5_000).map { #""127.0.0.1:\#($0)""# }.joined(separator: ",")
            try await second.send(utf8(#"{"event":"broadcast_addresses","addresses":["# + addresses + "]}\n"))
            await #expect(throws: GatewayKitError.registerUnavailable(reason: "Register listed 5000 gateways")) {
                try await many.value
            }
        }
    }

    @Test func anExpiredAddressCacheIsLookedUpAgain() async throws {
        let register = try FakeListener()
        let gateway = try FakeListener()
        var configuration = GatewayClient.Configuration(registerAddresses: [register.address], logger: testLogger)
        configuration.addressCacheLifetime = .milliseconds(50)
        configuration.queryTimeout = Self.patientTimeout
        let list = utf8(#"{"event":"broadcast_addresses","addresses":{"2":"\#(gateway.address)"}}"# + "\n")
        try await withClient(configuration) { client in
            client.gateway.ungroup("g")
            let first = try await register.accept()
            _ = try await first.receiveLine()
            try await first.send(list)
            let peer = try await gateway.accept()
            #expect(try await peer.receivePacket().header.command == .ungroup)
            try await Task.sleep(for: .milliseconds(80))
            client.gateway.ungroup("h")
            let second = try await register.accept()
            _ = try await second.receiveLine()
            try await second.send(list)
            let again = try await peer.receivePacket()
            #expect(again.header.command == .ungroup)
            #expect(again.extData == utf8("h"))
        }
    }

    @Test func fixedGatewaysAndNoSecret() async throws {
        let gateway = try FakeListener()
        let configuration = GatewayClient.Configuration(gatewayAddresses: [gateway.address], logger: testLogger)
        try await withClient(configuration) { client in
            async let uids = client.gateway.batchGetClientIdByUid(["62205555455823872", "62205555455823873"])
            let peer = try await gateway.accept()
            #expect(try await peer.receivePacketBytes() == Vectors.v32BatchClientIDsByUID)
            try await peer.send(framedReply("a:2:{i:62205555455823872;a:1:{i:0;i:1;}i:62205555455823873;a:0:{}}"))
            #expect(
                try await uids == ["62205555455823872": [clientID(on: gateway, 1)], "62205555455823873": []])
        }
    }

    @Test func flushReportsACommandThatCouldNotBeDelivered() async throws {
        let closedPort: UInt16 = try {
            let listener = try FakeListener()
            return listener.port
        }()
        let unreachable = GatewayClientID(localIP: 0x7F00_0001, localPort: closedPort, connectionID: 1)
        try await withClient(GatewayClient.Configuration(gatewayAddresses: [], logger: testLogger)) { client in
            client.gateway.sendToClient(unreachable, "nobody")
            await #expect(throws: GatewayKitError.self) { try await client.gateway.flush() }
            try await client.gateway.flush()  // the failure was reported once
            #expect(await client.gateway.statistics().commandsLost == 1)
        }
    }

    @Test func anUnreachableRegisterFailsQueries() async throws {
        let closedPort: UInt16 = try {
            let listener = try FakeListener()
            return listener.port
        }()
        let configuration = GatewayClient.Configuration(
            registerAddresses: ["127.0.0.1:\(closedPort)"], logger: testLogger)
        try await withClient(configuration) { client in
            await #expect(throws: GatewayKitError.self) { try await client.gateway.getAllUidCount() }
        }
    }

    @Test func shutdownFailsWaitingQueries() async throws {
        let gateway = try FakeListener()
        let client = try GatewayClient(
            configuration: GatewayClient.Configuration(gatewayAddresses: [gateway.address], logger: testLogger))
        let pending = Task { try await client.gateway.getAllClientIdCount() }
        let peer = try await gateway.accept()
        _ = try await peer.receivePacket()
        await client.shutdown()
        await #expect(throws: GatewayKitError.shutdown) { try await pending.value }
    }
}
