import Dispatch
import Logging
import RingGate
import RingGateDemo
import RingGateService

/// How `ringgate start` plugs the demo chat into the service: the page on the WebSocket listeners and
/// the in-process demo workers.
enum DemoChatWiring {
    static func configureListener(_ configuration: ServiceConfiguration) -> (inout ListenerConfiguration) -> Void {
        let servesPage = configuration.gateway.demoPage
        return { listener in
            if servesPage, case .webSocket = listener.framing { listener.webSocket.httpPage = DemoChatPage.httpPage }
        }
    }

    static let launcher: Service.WorkerLauncher = { demo, logger in
        let workers = try DemoChat.startWorkers(
            registerAddresses: demo.registerAddresses.map(\.description), secretKey: demo.secretKey,
            count: demo.count, logger: logger)
        return DemoWorkersPart(workers: workers)
    }
}

/// The demo workers as a part the service stops on shutdown (after the gateway drained).
struct DemoWorkersPart: ServicePart {
    let workers: DemoChatWorkers

    func stop() {
        let done = DispatchSemaphore(value: 0)
        let workers = workers
        Task {
            await workers.shutdown()
            done.signal()
        }
        _ = done.wait(timeout: .now() + 5)
    }
}
