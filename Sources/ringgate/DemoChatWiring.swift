import Logging
import RingGate
import RingGateService

/// How `ringgate start` plugs the demo chat into the service: the page on the WebSocket listeners and
/// the in-process demo worker.
enum DemoChatWiring {
    static func configureListener(_ configuration: ServiceConfiguration) -> (inout ListenerConfiguration) -> Void {
        { _ in }
    }

    static let launcher: Service.WorkerLauncher? = nil
}
