import ArgumentParser
import Foundation
import Glibc
import RingGateCodecs
import RingGateWorkerKit
import Synchronization

/// `Benchmarks takeover-worker`: the takeover scenario's Swift BusinessWorker (started by the scenario, not
/// by hand). It echoes every message to its sender, and at every `--state-every`-th connect gives the client
/// a session, binds a uid and joins a group — the state an upgrade must carry over. Runs until SIGTERM.
struct TakeoverWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "takeover-worker", abstract: "The takeover scenario's echo worker (started by the scenario).",
        shouldDisplay: false)

    @Option var registerAddress: String
    @Option var secretKey = ""
    @Option var stateEvery = 10
    @Option var groups = 100
    @Option var reconnectMilliseconds = 1_000

    struct Handler: BusinessWorkerHandler {
        let connects: Counter
        let stateEvery: Int
        let groups: Int

        func onConnect(_ context: inout WorkerContext) {
            let number = connects.next()
            guard stateEvery > 0, number % stateEvery == 0 else { return }
            context.session = ["n": .int(Int64(number)), "role": "stateful"]
            context.bindUid("u\(number)")
            context.joinGroup("g\(number / stateEvery % max(1, groups))")
        }

        func onMessage(_ context: inout WorkerContext, message: [UInt8]) {
            context.send(message)
        }
    }

    /// Connects seen, across the worker's events (one loop thread, but the handler is a value).
    final class Counter: Sendable {
        private let value = Atomic(0)
        func next() -> Int { value.add(1, ordering: .relaxed).newValue }
    }

    func run() throws {
        // SIGTERM blocked before any thread starts, then waited for: the scenario ends this process.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        var configuration = BusinessWorker.Configuration(
            name: "TakeoverEcho", processIndex: 0, secretKey: secretKey, registerAddresses: [registerAddress])
        configuration.reconnectDelay = .milliseconds(reconnectMilliseconds)
        let worker = try BusinessWorker(
            configuration: configuration,
            handler: Handler(connects: Counter(), stateEvery: stateEvery, groups: groups))
        try worker.start()
        var received: Int32 = 0
        sigwait(&signals, &received)
        withExtendedLifetime(worker) {}
    }
}
