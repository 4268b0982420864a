import RingGateCodecs
import Testing

@testable import RingGateWorkerKit

/// Every command the `Gateway` API writes, byte for byte against the spec's captured packets: §10.2
/// "Packets a real BusinessWorker sends" and the PHP-consistent requests of seed 000 (§10.1).
@Suite(.timeLimit(.minutes(1)))
struct CommandEncodingTests {
    /// One command through the API, recorded at the lab gateway.
    private func bytes(_ body: (Gateway) throws -> Void) async throws -> [UInt8] {
        try await recordCommands(body)[labGateway] ?? []
    }

    @Test func workerConnectMatchesTheLabVector() {
        var buffer: [UInt8] = []
        GatewayRequest.workerConnect(workerKey: "MyBW:0", secretKey: "sek", to: &buffer)
        #expect(buffer == Vectors.workerConnect)
        #expect(GatewayRequest.gatewayClientConnect(secretKey: "sek") == Vectors.gatewayClientConnect)
    }

    @Test func workerKeyIsNameColonIndex() {
        let configuration = BusinessWorker.Configuration(name: "MyBW", processIndex: 3)
        #expect(configuration.workerKey == "MyBW:3")
        #expect(configuration.reconnectDelay == .seconds(1))
        #expect(configuration.registerPingInterval == .seconds(25))
        #expect(configuration.queryTimeout == .seconds(5))
    }

    @Test func labVectorsOfSendCommands() async throws {
        let current = labClient(5)
        #expect(try await bytes { $0.sendToClient(current, "raw", raw: true) } == Vectors.sendToClientRaw)
        #expect(
            try await bytes { $0.sendToGroup("g1", "grp", exclude: [current]) } == Vectors.sendToGroupExcludingCurrent)
        #expect(try await bytes { $0.sendToAll("all", exclude: [current]) } == Vectors.sendToAllExcludingCurrent)
        #expect(try await bytes { $0.sendToAll("some", clientIDs: [current]) } == Vectors.sendToAllToIDs)
        #expect(try await bytes { $0.sendToUid([42, "u2"], "uid") } == Vectors.sendToUids)
    }

    @Test func labVectorsOfClientCommands() async throws {
        let current = labClient(5)
        #expect(try await bytes { $0.updateSession(current, ["x": ["y": 1]]) } == Vectors.updateSession)
        #expect(try await bytes { $0.closeClient(current) } == Vectors.closeClient)
        #expect(try await bytes { $0.closeClient(current, message: "bye") } == Vectors.closeClientBye)
        #expect(try await bytes { $0.destroyClient(current) } == Vectors.destroyClient)
        #expect(try await bytes { $0.setSession(current, ["n": 2, "x": ["y": 1]]) } == Vectors.sessionWriteBack)
    }

    @Test func seedVectorsOfCommands() async throws {
        #expect(try await bytes { $0.bindUid(labClient(1), "39069102337167360") } == Vectors.v01BindUID)
        #expect(try await bytes { $0.joinGroup(labClient(1), "54248935702663168") } == Vectors.v05JoinGroup)
        #expect(try await bytes { $0.leaveGroup(labClient(2), "38936001950781440") } == Vectors.v15LeaveGroup)
        #expect(try await bytes { $0.unbindUid(labClient(1), "62205555455823872") } == Vectors.v41UnbindUID)
        #expect(try await bytes { $0.destroyClient(labClient(2)) } == Vectors.v19Destroy)
        #expect(try await bytes { $0.closeClient(labClient(1)) } == Vectors.v42Kick)
        #expect(try await bytes { $0.sendToAll(Vectors.seedMessage) } == Vectors.v34SendToAll)
        #expect(try await bytes { $0.sendToClient(labClient(1), Vectors.seedMessage) } == Vectors.v35SendToOne)
        #expect(try await bytes { $0.sendToGroup("122691596189171712", Vectors.seedMessage) } == Vectors.v37SendToGroup)
        #expect(try await bytes { $0.sendToUid("62205555455823872", Vectors.seedMessage) } == Vectors.v38SendToUID)
        let session: PHPArray = [
            "os": "ios", "version": "1.2.0", "build_number": "57", "device_id": "F2E37AD6-8086-4E19-AE4B-3F553CE0A6A5",
        ]
        #expect(try await bytes { $0.setSession(labClient(256), session) } == Vectors.v26SetSession)
    }

    @Test func emptyIdsAreNotWrittenAsExtData() async throws {
        // PHP writes ext_data only when !empty(): bindUid(id, "0") sends an empty ext.
        #expect(
            try await bytes { $0.bindUid(labClient(1), "0") }
                == hex("0000001c0c0000000000000000000000000000000101000000000000"))
        // …and refuses empty groups outright.
        #expect(try await bytes { $0.sendToGroup("", "x") } == [])
        #expect(try await bytes { $0.sendToGroup([GatewayID](), "x") } == [])
        #expect(try await bytes { $0.ungroup("0") } == [])
        #expect(try await bytes { $0.sendToAll("x", clientIDs: []) } == [])
    }

    @Test func ungroupAndIntegerIdsUseTheirDecimalText() async throws {
        #expect(
            try await bytes { $0.ungroup(42) } == hex("0000001e1b00000000000000000000000000000000010000000000023432"))
        #expect(
            try await bytes { $0.sendToGroup([7, "a/b"], "m") }
                == (try GatewayPacket(
                    command: .sendToGroup, flags: .bodyIsScalar, extData: utf8(#"{"group":[7,"a\/b"],"exclude":null}"#),
                    body: utf8("m")
                ).encoded()))
    }

    @Test func broadcastsSplitClientIdsByGateway() async throws {
        let other = IPv4Endpoint(ip: 0x0A00_0001, port: 2901)
        let elsewhere = GatewayClientID(localIP: other.ip, localPort: other.port, connectionID: 9)
        let written = try await recordCommands(targets: [labGateway, other]) { gateway in
            gateway.sendToAll("hi", exclude: [labClient(5), labClient(6), labClient(5)])
            gateway.sendToAll("to", clientIDs: [labClient(5), elsewhere, labClient(7)], exclude: [labClient(7)])
        }
        let excludeLab = try GatewayPacket(
            command: .sendToAll, flags: .bodyIsScalar, extData: utf8(#"{"exclude":{"5":5,"6":6}}"#), body: utf8("hi")
        ).encoded()
        let toLab = try GatewayPacket(
            command: .sendToAll, flags: .bodyIsScalar, extData: utf8(#"{"connections":{"5":5}}"#), body: utf8("to")
        ).encoded()
        let toOther = try GatewayPacket(
            command: .sendToAll, flags: .bodyIsScalar, extData: utf8(#"{"connections":{"9":9}}"#), body: utf8("to")
        ).encoded()
        let plainOther = try GatewayPacket(command: .sendToAll, flags: .bodyIsScalar, body: utf8("hi")).encoded()
        #expect(written[labGateway] == excludeLab + toLab)
        #expect(written[other] == plainOther + toOther)
    }

    @Test func queryRequestsMatchTheVectors() throws {
        func request(_ command: GatewayCommand, connectionID: UInt32 = 0, ext: String = "") throws -> [UInt8] {
            var buffer: [UInt8] = []
            try GatewayRequest.append(command, connectionID: connectionID, ext: ext, to: &buffer)
            return buffer
        }
        #expect(try request(.isOnline, connectionID: 1) == Vectors.isOnlineCID1)
        #expect(try request(.getAllClientSessions) == Vectors.getAllClientSessions)
        #expect(try request(.getClientIDByUID, ext: "39069102337167360") == Vectors.v09GetClientIDByUID)
        #expect(try request(.getGroupIDList) == Vectors.v10GetGroupIDList)
        #expect(try request(.getClientSessionsByGroup, ext: "38936001950781440") == Vectors.v12SessionsByGroup)
        #expect(try request(.getClientCountByGroup, ext: "122691596189171712") == Vectors.v27CountByGroup)
        #expect(try request(.getClientCountByGroup) == Vectors.v28CountAll)
        #expect(try request(.getSessionByClientID, connectionID: 512) == Vectors.v33GetSessionCID512)
        let batch = String(decoding: GatewayRequest.idList(["62205555455823872", "62205555455823873"]), as: UTF8.self)
        #expect(try request(.batchGetClientIDByUID, ext: batch) == Vectors.v32BatchClientIDsByUID)
        let select = GatewayRequest.selectExt(
            fields: ["uid"], where: [("connection_id", GatewayRequest.connectionMap([4]))])
        #expect(try request(.select, ext: String(decoding: select, as: UTF8.self)) == Vectors.v21SelectUIDOfClient)
        #expect(
            GatewayRequest.selectExt(fields: ["session", "uid", "groups"], where: [])
                == utf8(#"{"fields":["session","uid","groups"],"where":[]}"#))
    }

    @Test func commandsAboveThePacketLimitAreRefused() {
        var buffer: [UInt8] = [1, 2]
        let huge = [UInt8](repeating: 0x61, count: GatewayRequest.maxPackageLength)
        #expect(throws: GatewayKitError.self) {
            try GatewayRequest.append(.sendToOne, connectionID: 1, body: huge, to: &buffer)
        }
        #expect(buffer == [1, 2])
        let fits = [UInt8](repeating: 0x61, count: GatewayRequest.maxPackageLength - GatewayHeader.byteCount)
        #expect(throws: Never.self) { try GatewayRequest.append(.sendToOne, connectionID: 1, body: fits, to: &buffer) }
        #expect(buffer.count == 2 + GatewayRequest.maxPackageLength)
    }

    @Test func connectionMapIsAnObjectUnlessPHPWouldWriteAList() {
        #expect(JSONWriter.encode(GatewayRequest.connectionMap([5, 9, 5])) == utf8(#"{"5":5,"9":9}"#))
        #expect(JSONWriter.encode(GatewayRequest.connectionMap([0, 1])) == utf8("[0,1]"))
    }
}
