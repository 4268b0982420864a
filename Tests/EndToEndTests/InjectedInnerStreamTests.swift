import RingGate
import RingGateCodecs
import Synchronization
import TestSupport
import Testing

/// The entry point FuzzGatewayCommands drives: a stream injected into a shard runs through the real
/// worker command layer — past the secret only with the right one, in any receive size — and reaches
/// real clients.
@Suite(.serialized) struct InjectedInnerStreamTests {
    static let secret = "s3cret"

    private func packet(
        _ command: GatewayCommand, connectionID: UInt32 = 0, flags: GatewayFlags = .bodyIsScalar, body: String = ""
    ) throws -> [UInt8] {
        try GatewayPacket(command: command, connectionID: connectionID, flags: flags, body: Array(body.utf8)).encoded()
    }

    private func connect(secret: String) throws -> [UInt8] {
        try TestWorker.workerConnect(workerKey: "injected:0", secretKey: secret).encoded()
    }

    private func inject(_ server: GatewayServer, _ stream: [UInt8], receiveSize: Int) -> InjectedStreamOutcome? {
        let outcome = Mutex<InjectedStreamOutcome?>(nil)
        server.onShard(0) { shard in
            let result = shard.runInjectedInnerStream(stream, receiveSize: receiveSize, authorised: false)
            outcome.withLock { $0 = result }
        }
        return outcome.withLock { $0 }
    }

    @Test func theRightSecretRunsEveryFollowingCommandInAnyReceiveSize() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { configuration in
            configuration.upstream?.secretKey = Self.secret
        } _: { server in
            let worker = try TestWorker(addresses: server.innerAddresses, workerKey: "BW:0", secretKey: Self.secret)
            #expect(server.waitForUpstream { $0.workersRegistered == 1 })
            let client = try TestClient(port: server.port())
            let connectionID = try worker.nextEvent(.onConnect).connectionID
            let stream =
                try connect(secret: Self.secret) + packet(.isOnline, connectionID: connectionID)
                + packet(.sendToOne, connectionID: connectionID, body: "hi") + packet(.getAllClientSessions)
            for receiveSize in [0, 1, 7, 29] {
                let outcome = inject(server, stream, receiveSize: receiveSize)
                #expect(
                    outcome
                        == InjectedStreamOutcome(
                            commandsExecuted: 4, queryReplies: 2, deliveries: 1, closedByGateway: false))
                #expect(try client.receive(exactly: 3) == Array("hi\n".utf8))
            }
            // The injected links' replies fail on their missing socket and the links close.
            #expect(server.waitForUpstream { $0.innerOpen == 1 })
        }
    }

    @Test func aWrongSecretClosesTheLinkBeforeAnyCommand() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { configuration in
            configuration.upstream?.secretKey = Self.secret
        } _: { server in
            let stream = try connect(secret: "nope") + packet(.getAllClientSessions)
            let outcome = inject(server, stream, receiveSize: 0)
            #expect(
                outcome
                    == InjectedStreamOutcome(commandsExecuted: 1, queryReplies: 0, deliveries: 0, closedByGateway: true)
            )
            #expect(server.waitForUpstream { $0.authenticationFailures == 1 && $0.innerOpen == 0 })
        }
    }
}
