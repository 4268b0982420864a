import ArgumentParser
import BenchmarkReport
import Foundation

@main
struct BenchmarksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Benchmarks",
        abstract: "Load runs against the real ringgate binary, with SwiftNIO and external baselines.",
        discussion: """
            Build first: swift build -c release --product ringgate (and NIOBaseline for the NIO baseline), then
            swift run -c release Benchmarks [scenario]. Without a scenario the whole suite runs. Results go to
            Benchmarks/results/<timestamp>/ (results.json, report.md, SVG charts, logs).
            """,
        subcommands: [
            SuiteCommand.self, IdleCommand.self, EchoCommand.self, BroadcastCommand.self, ChurnCommand.self,
            SoakCommand.self, TLSCommand.self, TakeoverCommand.self, ReportCommand.self, LoadWorkerCommand.self,
            TakeoverWorkerCommand.self,
        ],
        defaultSubcommand: SuiteCommand.self
    )
}

/// Runs `body` with settings, limits checked, children cleaned up, and the results written at the end
/// (also when a scenario failed part-way).
func runScenarios(options: RunOptions, _ body: (RunSettings) throws -> Void) throws {
    ChildProcess.installCleanup()
    let settings = try RunSettings(options: options)
    SystemCheck.run(settings: settings)
    settings.results.configuration = options.describe()
    defer { ChildProcess.endAll() }
    var failure: Error?
    do { try body(settings) } catch {
        settings.progress.note("failed: \(error)")
        settings.results.notes.append("run stopped early: \(error)")
        failure = error
    }
    try ResultsWriter.write(settings: settings)
    if let failure { throw failure }
}

struct SuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite", abstract: "Every scenario with its defaults (idle, echo, broadcast, churn).")
    @OptionGroup var options: RunOptions
    @Option(help: "Idle connections.") var idleConnections = 100_000
    @Option(help: "Broadcast clients.") var broadcastClients = 100_000

    func run() throws {
        try runScenarios(options: options) { settings in
            try IdleScenario(connections: idleConnections, holdSeconds: 15).run(settings: settings)
            try EchoScenario.standard.run(settings: settings)
            try BroadcastScenario(clients: broadcastClients).run(settings: settings)
            try ChurnScenario().run(settings: settings)
        }
    }
}

struct IdleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle", abstract: "Hold N WebSocket connections, verified by echo; memory per connection.")
    @OptionGroup var options: RunOptions
    @Option(help: "Connections.") var connections = 100_000
    @Option(help: "Seconds to hold them before the final echo check.") var hold: Double = 15
    @Option(help: "Gateway shards (default: enough direct-descriptor tables for the connections).") var shards: Int?
    @Flag(
        help: ArgumentHelp(
            "Check each connection by echo as soon as it is established, inside the connect phase.",
            discussion:
                "By default the first echo check is its own pass once every connection is established, so that "
                + "connects/s counts TCP and WebSocket handshakes only (an echo per connection costs about a "
                + "quarter of the connect phase's CPU); results before 2026-12-04 were taken this way."))
    var verifyWhileConnecting = false

    func run() throws {
        try runScenarios(options: options) { settings in
            try IdleScenario(
                connections: connections, holdSeconds: hold, shards: shards,
                verifyWhileConnecting: verifyWhileConnecting
            ).run(settings: settings)
        }
    }
}

struct TLSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "Native wss against nginx terminating TLS before the plain listener: idle memory, handshakes, echo.")
    @OptionGroup var options: RunOptions
    @Option(help: "Idle wss connections held and verified.") var connections = 10_000
    @Option(help: "TLS 1.3 handshakes per certificate type.") var handshakes = 2_000
    @Option(help: "Connections of the echo point.") var echoConnections = 100
    @Option(help: "Seconds of echo.") var echoSeconds: Double = 5
    @Flag(help: "Skip the nginx rows.") var noNginx = false

    func run() throws {
        try runScenarios(options: options) { settings in
            try TLSScenario(
                idleConnections: connections, handshakes: handshakes, echoConnections: echoConnections,
                echoSeconds: echoSeconds, nginx: !noNginx
            ).run(settings: settings)
        }
    }
}
