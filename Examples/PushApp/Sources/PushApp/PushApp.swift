import Hummingbird
import Logging
import NIOPosix
import RingGateWorkerKit
import ServiceLifecycle

/// One process, one ServiceGroup: the Hummingbird HTTP server, a `GatewayClient` for its pushes and a
/// `BusinessWorker`, all on the same SwiftNIO event loop group.
///
/// Environment: `PUSH_HTTP_PORT` (8080), `RINGGATE_REGISTER` (127.0.0.1:1238, `ringgate start`'s
/// embedded Register), `RINGGATE_SECRET_KEY` (empty).
@main
struct PushApp {
    static func main() async throws {
        let environment = Environment()
        let port = environment.get("PUSH_HTTP_PORT").flatMap(Int.init) ?? 8080
        let register = environment.get("RINGGATE_REGISTER") ?? "127.0.0.1:1238"
        let secretKey = environment.get("RINGGATE_SECRET_KEY") ?? ""
        let logger = Logger(label: "PushApp")
        let group = MultiThreadedEventLoopGroup.singleton

        let client = try GatewayClient(
            configuration: .init(registerAddresses: [register], secretKey: secretKey, logger: logger),
            eventLoopGroup: group)
        let worker = try BusinessWorker(
            configuration: .init(
                name: "PushAppWorker", secretKey: secretKey, registerAddresses: [register], logger: logger),
            handler: BindHandler(), eventLoopGroup: group)

        let router = Router()
        router.post("/push/:uid") { request, context -> Response in
            let uid = try context.parameters.require("uid")
            let body = try await request.body.collect(upTo: 64 * 1024)
            client.gateway.sendToUid(GatewayID(uid), String(buffer: body))
            do {
                try await client.gateway.flush()  // written to every gateway, or why not
            } catch {
                context.logger.error("push failed", metadata: ["uid": "\(uid)", "error": "\(error)"])
                return Response(status: .badGateway)
            }
            return Response(status: .accepted)
        }
        router.get("/health") { _, _ in HTTPResponse.Status.ok }

        var app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            eventLoopGroupProvider: .shared(group), logger: logger)
        app.addServices(worker, client)
        try await app.runService()
    }
}
