import ArgumentParser
import LoadGenerator

/// `Benchmarks loadgen-worker`: one generator process, started by the scenarios (not by hand). It holds
/// its share of the connections on one io_uring and takes line commands on standard input.
struct LoadWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen-worker", abstract: "One load generator process (started by the scenarios).",
        shouldDisplay: false)

    @Option var host = "127.0.0.1"
    @Option var port: UInt16
    @Option var connections: Int
    @Option var firstIndex = 0
    @Option var sources = 1
    @Option var perSource = 8000
    @Option var framing = "websocket"
    @Option var messageSize = 64
    @Option var cpu = -1
    @Option var connectWindow = 512
    @Flag var noVerify = false

    func run() throws {
        guard let address = GeneratorPlan.parseIPv4(host), let framing = StreamFraming(rawValue: framing) else {
            throw ValidationError("bad --host or --framing")
        }
        var plan = GeneratorPlan(
            serverAddress: address, serverPort: port, connectionCount: connections, firstGlobalIndex: firstIndex,
            framing: framing)
        plan.sourceCount = sources
        plan.connectionsPerSource = perSource
        plan.messageSize = messageSize
        plan.cpu = cpu
        plan.connectWindow = connectWindow
        plan.verifyOnEstablish = !noVerify
        let engine = try GeneratorEngine(plan: plan)
        engine.run()
    }
}
