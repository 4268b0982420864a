import ArgumentParser
import RingGate

@main
struct RingGateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ringgate", abstract: "GatewayWorker-compatible gateway on io_uring.")
    func run() throws {}
}
