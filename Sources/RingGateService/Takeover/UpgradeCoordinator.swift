import Foundation
import Logging
import RingGate
import RingGateCodecs
import RingGateRuntime
import Synchronization

/// What `ringgate upgrade` reports.
public struct UpgradeReport: Sendable {
    public var succeeded: Bool
    /// The new process, once it answered.
    public var newPID: Int32?
    /// Clients handed over, over every shard.
    public var clientsHandedOver = 0
    /// The longest time a shard's clients were paused (first pause to adoption), in milliseconds.
    public var longestPauseMilliseconds = 0.0
    /// Progress and outcome, one line each.
    public var lines: [String] = []

    public var text: String { lines.joined(separator: "\n") + "\n" }
}

/// The old process's side of a live takeover: starts the new binary with one end of a Unix socket, checks
/// it can take over, hands it the listening sockets and then every shard — state first, then the client
/// sockets as ordinary descriptors in bounded batches — and lets go of each shard only once the new
/// process says it adopted it. Until then any failure leaves every client with this process, served as
/// before; the new process is killed so that it holds nothing.
final class UpgradeCoordinator {
    private let service: Service
    private let gateway: GatewayServer
    private let logger: Logger
    private var report = UpgradeReport(succeeded: false)
    /// Client descriptors made ordinary per round trip to a shard: with the batch sent and closed before
    /// the next, at most this many extra descriptors are open (RLIMIT_NOFILE is 20,000 on small hosts).
    static let installBatch = 2_000
    static let helloTimeoutMilliseconds: Int32 = 30_000
    /// How long the new process may take to adopt a shard, and to take one message: the shard's clients are
    /// paused meanwhile, so a stuck successor is given up on (and killed) rather than waited for.
    static let adoptionTimeoutMilliseconds: Int32 = 30_000
    static let sendTimeoutMilliseconds: Int32 = 30_000
    /// How long a shard's clients and worker links may take to settle before the handover gives up.
    static let quiesceSeconds = 5.0
    /// Environment variable naming the inherited descriptor in the new process.
    static let descriptorVariable = "RINGGATE_TAKEOVER_FD"

    init(service: Service, gateway: GatewayServer) {
        self.service = service
        self.gateway = gateway
        self.logger = service.logger
    }

    private func note(_ line: String, failure: Bool = false) {
        report.lines.append(line)
        if failure { logger.error("upgrade: \(line)") } else { logger.info("upgrade: \(line)") }
    }

    /// Runs the whole takeover; on success this process holds no client any more and should exit.
    func run(binary: String, arguments: [String]) -> UpgradeReport {
        let probe = try? Ring(entries: 8, completionEntries: 16)
        guard probe?.supportsFixedFileInstall == true else {
            note(
                "refused: this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8), so client sockets cannot be "
                    + "moved; nothing was changed", failure: true)
            return report
        }
        let channel: HandoverChannel
        let child: ChildProcess
        do {
            let (mine, theirs) = try HandoverChannel.pair()
            try theirs.keepAcrossExec()
            var environment = ProcessInfo.processInfo.environment
            environment[Self.descriptorVariable] = "3"
            child = try ChildProcess.spawn(
                path: binary, arguments: [binary] + arguments.dropFirst(), environment: environment,
                inherited: theirs.descriptor)
            channel = mine
        } catch {
            note("refused: cannot start \(binary): \(error)", failure: true)
            return report
        }
        report.newPID = child.pid
        note("started \(binary) as pid \(child.pid)")
        guard handshake(channel, child: child) else {
            child.killAndReap()
            return report
        }
        let started = ContinuousClock.now
        var committed = 0
        for shard in 0..<gateway.shardCount {
            switch handOver(shard: shard, channel: channel) {
            case .adopted(let clients, let pause):
                gateway.commitHandover(shard: shard)
                committed += 1
                report.clientsHandedOver += clients
                report.longestPauseMilliseconds = max(report.longestPauseMilliseconds, pause)
                note("shard \(shard): \(clients) clients handed over, paused \(Int(pause)) ms")
            case .failed(let reason):
                note("shard \(shard): \(reason)", failure: true)
                try? channel.send(TakeoverMessage.abort(reason: reason).encoded(), timeoutMilliseconds: 1_000)
                child.killAndReap()
                // Shards already adopted lost their clients with the new process; they accept again.
                for index in 0..<gateway.shardCount { gateway.abortHandover(shard: index, reason: reason) }
                service.startWorkersAfterTakeover()
                note(
                    committed == 0
                        ? "upgrade abandoned; every client is still served by this process (pid \(getpid()))"
                        : "upgrade abandoned after \(committed) shards: their clients were lost with the new process; "
                            + "the other shards' clients are still served here", failure: true)
                return report
            }
        }
        do {
            try channel.send(TakeoverMessage.finished.encoded(), timeoutMilliseconds: Self.sendTimeoutMilliseconds)
            // Its answer means it told systemd it is the main process now (MAINPID=): only then may this
            // process exit without systemd taking the service for stopped.
            let message = try channel.receive(timeoutMilliseconds: 5_000)
            if try TakeoverMessage(decoding: message.payload.span) != .finished {
                note("the new process answered the end of the handover out of turn", failure: true)
            }
        } catch {
            note("the new process did not confirm the end of the handover: \(error)", failure: true)
        }
        let seconds = (ContinuousClock.now - started).seconds
        note(
            "done: \(report.clientsHandedOver) clients in \(String(format: "%.2f", seconds)) s, longest pause "
                + "\(Int(report.longestPauseMilliseconds)) ms; pid \(child.pid) serves now, this process exits")
        report.succeeded = true
        return report
    }

    /// hello → accept, then the listening sockets.
    private func handshake(_ channel: HandoverChannel, child: ChildProcess) -> Bool {
        let hello = TakeoverHello(
            schemaVersion: TakeoverSnapshot.schemaVersion, oldestReadableSchema: TakeoverSnapshot.oldestReadableSchema,
            pid: getpid(), shardCount: UInt32(gateway.shardCount),
            listenerFingerprint: TakeoverLayout.fingerprint(service.configuration, gateway: gateway.configuration),
            binaryVersion: RingGateVersion.current)
        do {
            try channel.send(TakeoverMessage.hello(hello).encoded(), timeoutMilliseconds: Self.sendTimeoutMilliseconds)
            let message = try channel.receive(timeoutMilliseconds: Self.helloTimeoutMilliseconds)
            let answer = try TakeoverMessage(decoding: message.payload.span)
            switch answer {
            case .accept: break
            case .refuse(let reason):
                note("the new binary refused: \(reason); nothing was changed", failure: true)
                return false
            default:
                note("the new binary answered out of turn; nothing was changed", failure: true)
                return false
            }
        } catch {
            let status = child.waitForExit(seconds: 0.5).map { " (it exited with status \($0))" } ?? ""
            note("no answer from the new binary: \(error)\(status); nothing was changed", failure: true)
            return false
        }
        let sockets = gateway.takeoverSockets
        let register = service.figures.register?.listeningSocket
        let admin = service.admin?.listeningSocket
        var listening = sockets.clientListeners.flatMap { $0 } + sockets.innerListeners
        if let register { listening.append(register) }
        if let admin { listening.append(admin) }
        let set = TakeoverListenerSet(
            clientListenersPerShard: UInt32(gateway.configuration.listeners.count),
            shardCount: UInt32(gateway.shardCount), innerListeners: UInt32(sockets.innerListeners.count),
            hasRegister: register != nil, hasAdmin: admin != nil)
        guard listening.count <= HandoverChannel.maxDescriptorsPerMessage else {
            try? channel.send(
                TakeoverMessage.abort(reason: "too many listening sockets").encoded(), timeoutMilliseconds: 1_000)
            note(
                "refused: \(listening.count) listening sockets (shards × listeners + worker ports) are more than one "
                    + "transfer message carries (\(HandoverChannel.maxDescriptorsPerMessage)); nothing was changed",
                failure: true)
            return false
        }
        var descriptors: [Int32] = []
        var failure: SystemError?
        for socket in listening where failure == nil {
            do { descriptors.append(try socket.duplicate()) } catch { failure = error }
        }
        if failure == nil {
            do {
                try channel.send(
                    TakeoverMessage.listeners(set).encoded(), descriptors: descriptors,
                    timeoutMilliseconds: Self.sendTimeoutMilliseconds)
            } catch {
                failure = error
            }
        }
        for descriptor in descriptors { close(descriptor) }
        if let failure {
            note("could not hand over the listening sockets: \(failure); nothing was changed", failure: true)
            return false
        }
        note("the new binary accepted the takeover; listening sockets handed over")
        // No event may go to an in-process worker about to exit: the shards buffer events from here on.
        if service.runsWorkers {
            gateway.holdEventsWithoutWorkers(seconds: 60)
            service.stopWorkers()
        }
        return true
    }

    private enum ShardOutcome {
        case adopted(clients: Int, pauseMilliseconds: Double)
        case failed(String)
    }

    /// Sends one batch of client sockets in messages of at most 250; the error, if one failed.
    private func send(_ slots: [UInt32], descriptors: [Int32], shard: Int, channel: HandoverChannel) -> SystemError? {
        var offset = 0
        while offset < slots.count {
            let end = min(offset + HandoverChannel.maxDescriptorsPerMessage, slots.count)
            do {
                try channel.send(
                    TakeoverMessage.descriptorBatch(shard: UInt32(shard), slots: Array(slots[offset..<end])).encoded(),
                    descriptors: Array(descriptors[offset..<end]), timeoutMilliseconds: Self.sendTimeoutMilliseconds)
            } catch {
                return error
            }
            offset = end
        }
        return nil
    }

    /// One shard: pause and export, send the state, send the sockets, wait for the answer.
    private func handOver(shard: Int, channel: HandoverChannel) -> ShardOutcome {
        let paused = ContinuousClock.now
        let export: ShardExport
        switch gateway.beginHandover(shard: shard, timeoutSeconds: Self.quiesceSeconds) {
        case .success(let value): export = value
        case .failure(let error): return .failed("could not pause: \(error)")
        }
        do {
            try channel.send(
                TakeoverMessage.shardState(
                    index: UInt32(shard), snapshot: export.snapshot, descriptorCount: UInt32(export.slots.count)
                ).encoded(), timeoutMilliseconds: Self.sendTimeoutMilliseconds)
            var start = 0
            while start < export.slots.count {
                let batch = Array(export.slots[start..<min(start + Self.installBatch, export.slots.count)])
                let descriptors: [Int32]
                switch gateway.installDescriptors(shard: shard, slots: batch) {
                case .success(let value): descriptors = value
                case .failure(let error): return .failed(error.description)
                }
                let sent = send(batch, descriptors: descriptors, shard: shard, channel: channel)
                for descriptor in descriptors { close(descriptor) }
                if let sent { return .failed("transfer failed: \(sent)") }
                start += batch.count
            }
            let message = try channel.receive(timeoutMilliseconds: Self.adoptionTimeoutMilliseconds)
            let answer = try TakeoverMessage(decoding: message.payload.span)
            switch answer {
            case .shardAdopted(let index) where index == UInt32(shard):
                return .adopted(
                    clients: export.slots.count, pauseMilliseconds: (ContinuousClock.now - paused).seconds * 1_000)
            case .shardRefused(_, let reason):
                return .failed("the new process refused it: \(reason)")
            default:
                return .failed("the new process answered out of turn")
            }
        } catch {
            return .failed("transfer failed: \(error)")
        }
    }
}
