import RingGateCodecs
import Testing

@testable import RingGate

/// The fuzz harness gets past authorisation with the right secret, and only then.
@Suite struct CommandLayerFuzzHarnessTests {
    private func packet(
        _ command: GatewayCommand, connectionID: UInt32 = 0, flags: GatewayFlags = [], body: String = ""
    )
        -> [UInt8]
    {
        let body = Array(body.utf8)
        let header = GatewayHeader(
            packLength: UInt32(GatewayHeader.byteCount + body.count), command: command, connectionID: connectionID,
            flags: flags)
        return header.withEncodedBytes { [UInt8](copying: $0) } + body
    }

    private func connect(secret: String) -> [UInt8] {
        packet(.workerConnect, flags: .bodyIsScalar, body: "{\"worker_key\":\"w:0\",\"secret_key\":\"\(secret)\"}")
    }

    @Test func rightSecretRunsEveryFollowingCommandInAnyReceiveSize() {
        var harness = CommandLayerFuzzHarness(clientCount: 20)
        let stream =
            connect(secret: CommandLayerFuzzHarness.secretKey) + packet(.isOnline, connectionID: 3)
            + packet(.sendToOne, connectionID: 3, flags: .bodyIsScalar, body: "hi") + packet(.getAllClientSessions)
        for chunkSize in [0, 1, 7, 29] {
            harness.run(stream, chunkSize: chunkSize, authorised: false)
            #expect(harness.commandsExecuted == 4)
            #expect(harness.deliveries == 1)
            #expect(harness.replyBytes > 0)
        }
    }

    @Test func wrongSecretStopsTheStream() {
        var harness = CommandLayerFuzzHarness(clientCount: 20)
        harness.run(connect(secret: "nope") + packet(.isOnline, connectionID: 3), chunkSize: 0, authorised: false)
        #expect(harness.commandsExecuted == 1)
        #expect(harness.replyBytes == 0)
    }
}
