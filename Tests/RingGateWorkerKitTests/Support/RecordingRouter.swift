import Logging
import RingGateCodecs
import Synchronization
import Testing

@testable import RingGateWorkerKit

/// A `GatewayRouter` without sockets: records the bytes of every command per gateway, so a `Gateway`
/// built on it shows exactly what the API writes.
final class RecordingRouter: GatewayRouter {
    let loop: KitLoop
    let queryPool: QueryPool
    var statistics = WorkerKitStatistics()
    let routesImmediately = true
    let targets: [IPv4Endpoint]
    let written = Mutex<[IPv4Endpoint: [UInt8]]>([:])

    init(loop: KitLoop, targets: [IPv4Endpoint]) {
        self.loop = loop
        self.targets = targets
        self.queryPool = QueryPool(loop: loop, secretKey: "", timeout: .seconds(1))
    }

    func withTargets(_ kind: TargetKind, _ body: @escaping (Result<[IPv4Endpoint], GatewayKitError>) -> Void) {
        body(.success(kind == .none ? [] : targets))
    }

    func sendCommand(to endpoint: IPv4Endpoint, _ encode: (inout [UInt8]) throws(GatewayKitError) -> Void) {
        var bytes: [UInt8] = []
        do { try encode(&bytes) } catch { return }
        written.withLock { $0[endpoint, default: []] += bytes }
    }

    func canQuery(_ endpoint: IPv4Endpoint) -> Bool { true }
    var commandConnections: [LoopConnection] { [] }
    func takeCommandFailure() -> GatewayKitError? { nil }
}

/// The gateway of the vectors' client ids: 127.0.0.1:2900.
let labGateway = IPv4Endpoint(ip: 0x7F00_0001, port: 2900)

/// A client id on `labGateway`.
func labClient(_ connectionID: UInt32) -> GatewayClientID {
    GatewayClientID(localIP: 0x7F00_0001, localPort: 2900, connectionID: connectionID)
}

/// Runs `body` with a `Gateway` whose commands are recorded, then returns what each gateway received.
func recordCommands(
    targets: [IPv4Endpoint] = [labGateway], _ body: (Gateway) throws -> Void
) async throws -> [IPv4Endpoint: [UInt8]] {
    let loop = KitLoop(name: "recording", logger: Logger(label: "test"), group: nil)
    let router = RecordingRouter(loop: loop, targets: targets)
    let gateway = Gateway(router: router, logger: Logger(label: "test"))
    try body(gateway)
    try await gateway.flush()
    loop.requestStop()
    await loop.waitUntilStopped()
    return router.written.withLock { $0 }
}
