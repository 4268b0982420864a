import Logging
import NIOCore
import NIOPosix
import RingGateCodecs
import RingGateWorkerKit
import ServiceLifecycle
import Synchronization
import Testing

/// The kit inside an application: on the application's event loop group, and as swift-service-lifecycle
/// services that a ServiceGroup starts and shuts down.
@Suite(.timeLimit(.minutes(1)))
struct EmbeddingTests {
    /// Records whether every handler call ran on a thread of `group`.
    struct LoopCheckingHandler: BusinessWorkerHandler {
        let group: MultiThreadedEventLoopGroup
        let log: EventLog

        func onMessage(_ context: inout WorkerContext, message: [UInt8]) {
            let onGroup = group.makeIterator().contains { $0.inEventLoop }
            log.append(
                SeenEvent(
                    kind: onGroup ? "on group" : "elsewhere", clientID: context.clientID.description, remote: "",
                    gatewayIP: "", gatewayPort: 0, message: message))
            context.send(message)
        }
    }

    @Test func aWorkerRunsOnTheCallersEventLoopGroupAndLeavesItRunning() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let gateway = try FakeListener()
        let log = EventLog()
        let worker = try BusinessWorker(
            configuration: testConfiguration(gateways: [gateway.address]),
            handler: LoopCheckingHandler(group: group, log: log), eventLoopGroup: group)
        try worker.start()
        let peer = try await acceptWorkerLink(gateway, worker: worker)
        try await peer.send(try event(.onMessage, on: gateway, 3, body: utf8("hi")))
        let reply = try await peer.receivePacket()
        #expect(reply.header.command == .sendToOne)
        #expect(reply.body == utf8("hi"))
        #expect(log.all.map(\.kind) == ["on group"])
        await worker.shutdown()
        try await peer.expectClosed()
        // The group is the application's: the worker's shutdown leaves it serving.
        let answer = try await group.next().submit { 42 }.get()
        #expect(answer == 42)
        try await group.shutdownGracefully()
    }

    @Test func aServiceGroupRunsAndGracefullyStopsAWorkerAndAClient() async throws {
        let gateway = try FakeListener()
        let worker = try BusinessWorker(
            configuration: testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: EventLog()))
        let client = try GatewayClient(
            configuration: .init(gatewayAddresses: [gateway.address], secretKey: "sek", logger: testLogger))
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [worker, client], gracefulShutdownSignals: [], logger: testLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await serviceGroup.run() }
            let link = try await acceptWorkerLink(gateway, worker: worker)
            // A command issued just before the shutdown is still written (the client flushes first).
            client.gateway.sendToUid("42", "bye")
            let commandLink = try await gateway.accept()
            await serviceGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()  // run() of both returned
            #expect(try await commandLink.receivePacket().header.command == .gatewayClientConnect)
            #expect(try await commandLink.receivePacket().header.command == .sendToUID)
            try await link.expectClosed()
            try await commandLink.expectClosed()
        }
        await #expect(throws: GatewayKitError.shutdown) { try await client.gateway.flush() }
    }

    @Test func cancellingRunStopsTheWorker() async throws {
        let gateway = try FakeListener()
        let worker = try BusinessWorker(
            configuration: testConfiguration(gateways: [gateway.address]), handler: RecordingHandler(log: EventLog()))
        let running = Task { try await worker.run() }
        let link = try await acceptWorkerLink(gateway, worker: worker)
        running.cancel()
        try await running.value
        try await link.expectClosed()
        #expect(await worker.gatewayAddresses() == [])  // stopped: loop jobs are cancelled, not lost
    }
}
