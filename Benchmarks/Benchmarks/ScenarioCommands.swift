import ArgumentParser
import BenchmarkReport
import Foundation

struct EchoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo", abstract: "Round trips, raw in the gateway and relayed through a Swift worker.")
    @OptionGroup var options: RunOptions
    @Option(help: "Connection counts (comma list).") var connections = "100,1000,10000"
    @Option(help: "Messages in flight per connection.") var inFlight = 1
    @Option(help: "Payload bytes per message.") var messageSize = 64
    @Option(help: "Modes (comma list): raw-tcp, raw-websocket, relayed-websocket.")
    var modes = "raw-tcp,raw-websocket,relayed-websocket"

    func run() throws {
        var scenario = EchoScenario()
        scenario.connectionCounts = connections.split(separator: ",").compactMap { Int($0) }
        scenario.inFlight = inFlight
        scenario.messageSize = messageSize
        scenario.modes = try modes.split(separator: ",").map {
            guard let mode = EchoScenario.Mode(rawValue: String($0)) else {
                throw ValidationError("unknown mode \($0)")
            }
            return mode
        }
        try runScenarios(options: options) { settings in try scenario.run(settings: settings) }
    }
}

struct BroadcastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcast", abstract: "sendToAll / sendToGroup / sendToUid to N clients, send to last receipt.")
    @OptionGroup var options: RunOptions
    @Option(help: "Clients (the run also measures 1,000 and 10,000 below this).") var clients = 100_000
    @Option(help: "Message bytes.") var messageSize = 64
    @Option(help: "Rounds per kind.") var rounds = 10
    @Option(help: "sendToGroup group size.") var groupSize = 1_000

    func run() throws {
        var scenario = BroadcastScenario(clients: clients)
        scenario.messageSize = max(8, messageSize)
        scenario.rounds = rounds
        scenario.groupSize = groupSize
        try runScenarios(options: options) { settings in try scenario.run(settings: settings) }
    }
}

struct ChurnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn", abstract: "Connections opened, handshaked and closed per second; memory after.")
    @OptionGroup var options: RunOptions
    @Option(help: "Seconds of churn.") var seconds: Double = 10
    @Option(help: "Connections in progress at once.") var concurrency = 1_000

    func run() throws {
        let scenario = ChurnScenario(seconds: seconds, concurrency: concurrency)
        try runScenarios(options: options) { settings in try scenario.run(settings: settings) }
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Render report.md and the SVG charts again from a results.json.")
    @Argument(help: "A results folder (with results.json).") var folder: String

    func run() throws {
        let url = URL(fileURLWithPath: folder)
        let data = try Data(contentsOf: url.appendingPathComponent("results.json"))
        let results = try JSONDecoder().decode(BenchmarkResults.self, from: data)
        try ReportFiles(results: results).write(to: url)
        print(url.appendingPathComponent("report.md").path)
    }
}
