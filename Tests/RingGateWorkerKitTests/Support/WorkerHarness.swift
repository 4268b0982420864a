import Logging
import RingGateCodecs
import RingGateWorkerKit
import Synchronization
import Testing

/// What a test handler saw of one event.
struct SeenEvent: Equatable, Sendable {
    var kind: String
    var clientID: String
    var remote: String
    var gatewayIP: String
    var gatewayPort: UInt16
    var message: [UInt8] = []
    var session: PHPArray? = nil
    var request: PHPValue? = nil
}

/// Collects events from the loop thread for the test task.
final class EventLog: Sendable {
    private let events = Mutex<[SeenEvent]>([])

    func append(_ event: SeenEvent) { events.withLock { $0.append(event) } }
    var all: [SeenEvent] { events.withLock { $0 } }
    var count: Int { events.withLock { $0.count } }
}

/// A handler that records every event and answers each message with `reply` (default: echo).
struct RecordingHandler: BusinessWorkerHandler {
    let log: EventLog
    var reply: @Sendable (inout WorkerContext, [UInt8]) -> Void = { context, message in context.send(message) }

    private func seen(_ kind: String, _ context: inout WorkerContext) -> SeenEvent {
        SeenEvent(
            kind: kind, clientID: context.clientID.description, remote: "\(context.remoteIP):\(context.remotePort)",
            gatewayIP: context.gatewayIP, gatewayPort: context.gatewayPort, session: context.session)
    }

    func onConnect(_ context: inout WorkerContext) {
        log.append(seen("connect", &context))
    }

    func onMessage(_ context: inout WorkerContext, message: [UInt8]) {
        var event = seen("message", &context)
        event.message = message
        log.append(event)
        reply(&context, message)
    }

    func onClose(_ context: inout WorkerContext) {
        log.append(seen("close", &context))
    }

    func onWebSocketConnect(_ context: inout WorkerContext, request: PHPValue) {
        var event = seen("websocket", &context)
        event.request = request
        log.append(event)
    }
}

/// A quiet logger for tests (raise the level to debug a failure).
let testLogger: Logger = {
    var logger = Logger(label: "RingGateWorkerKitTests")
    logger.logLevel = .critical
    return logger
}()

/// A worker configuration with short delays for tests.
func testConfiguration(
    name: String = "MyBW", secret: String = "sek", gateways: [String]? = nil, registers: [String] = []
) -> BusinessWorker.Configuration {
    var configuration = BusinessWorker.Configuration(
        name: name, processIndex: 0, secretKey: secret, registerAddresses: registers, gatewayAddresses: gateways,
        logger: testLogger)
    configuration.reconnectDelay = .milliseconds(200)
    return configuration
}

/// Runs `body` with a started worker and always shuts it down.
@discardableResult
func withWorker<Result>(
    _ configuration: BusinessWorker.Configuration, handler: sending some BusinessWorkerHandler,
    _ body: (BusinessWorker) async throws -> Result
) async throws -> Result {
    let worker = try BusinessWorker(configuration: configuration, handler: handler)
    try worker.start()
    do {
        let result = try await body(worker)
        await worker.shutdown()
        return result
    } catch {
        await worker.shutdown()
        throw error
    }
}

/// Accepts the worker connection at `listener`, checks its CMD_WORKER_CONNECT, and waits until the
/// worker counts it as open (commands before that are dropped, like PHP).
func acceptWorkerLink(
    _ listener: FakeListener, worker: BusinessWorker, expectedConnects: Int = 1
) async throws -> FakePeer {
    let peer = try await listener.accept()
    let first = try await peer.receivePacket()
    #expect(first.header.command == .workerConnect)
    #expect(try await eventually { await worker.statistics().gatewayConnects >= expectedConnects })
    return peer
}

/// A client id on the fake gateway `listener`.
func clientID(on listener: FakeListener, _ connectionID: UInt32, ip: UInt32 = 0x7F00_0001) -> GatewayClientID {
    GatewayClientID(localIP: ip, localPort: listener.port, connectionID: connectionID)
}

/// An event packet from the fake gateway `listener` for client `connectionID`.
func event(
    _ command: GatewayCommand, on listener: FakeListener, _ connectionID: UInt32, session: [UInt8] = [],
    body: [UInt8] = []
) throws -> [UInt8] {
    try GatewayPacket(
        command: command, localIP: 0x7F00_0001, localPort: listener.port, clientIP: 0x7F00_0001, clientPort: 40000,
        connectionID: connectionID, flags: .bodyIsScalar, gatewayPort: 8282, extData: session, body: body
    ).encoded()
}

/// A query reply as the gateway frames it (§2.4).
func framedReply(_ serialized: String) -> [UInt8] {
    GatewayReply.encoded(payload: utf8(serialized))
}
