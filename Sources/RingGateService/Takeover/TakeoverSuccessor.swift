import Foundation
import Logging
import RingGate
import RingGateCodecs
import RingGateRuntime

/// The new process's side of a live takeover (`ringgate upgrade` started it with one end of a Unix
/// socket as descriptor 3): check the old process's layout and state schema, take its listening sockets,
/// then adopt each shard's clients as they arrive. Shards that get no state (the old process died
/// halfway) start empty.
public final class TakeoverSuccessor {
    private let channel: HandoverChannel
    private let logger: Logger
    private let oldPID: Int32
    /// Whether this process is being started by `ringgate upgrade` (the environment names the channel).
    public static func requested(environment: [String: String]) -> Int32? {
        environment[UpgradeCoordinator.descriptorVariable].flatMap(Int32.init)
    }

    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the old process's hello, answers it, and receives the listening sockets. Throws (after
    /// telling the old process why) when this binary cannot take over; the old process keeps serving.
    public init(
        descriptor: Int32, configuration: ServiceConfiguration, gateway: GatewayConfiguration?, logger: Logger
    ) throws {
        channel = HandoverChannel(adopting: descriptor)
        self.logger = logger
        let message = try channel.receive(timeoutMilliseconds: 30_000)
        guard case .hello(let hello) = try TakeoverMessage(decoding: message.payload.span) else {
            throw Refusal(description: "the old process did not start with a hello")
        }
        oldPID = hello.pid
        let fingerprint = TakeoverLayout.fingerprint(configuration, gateway: gateway)
        var refusal: String?
        if gateway == nil {
            refusal = "this configuration has no gateway"
        } else if hello.schemaVersion > TakeoverSnapshot.schemaVersion
            || hello.schemaVersion < TakeoverSnapshot.oldestReadableSchema
        {
            refusal =
                "the running process writes state schema \(hello.schemaVersion); this binary reads "
                + "\(TakeoverSnapshot.oldestReadableSchema)…\(TakeoverSnapshot.schemaVersion)"
        } else if hello.listenerFingerprint != fingerprint {
            refusal = "the layouts differ: " + TakeoverLayout.difference(hello.listenerFingerprint, fingerprint)
        }
        if let refusal {
            try? channel.send(TakeoverMessage.refuse(reason: refusal).encoded())
            throw Refusal(description: refusal)
        }
        try channel.send(TakeoverMessage.accept.encoded())
        logger.info(
            "taking over", metadata: ["from_pid": "\(hello.pid)", "from_version": "\(hello.binaryVersion)"])
    }

    /// Receives the listening sockets that follow the accept.
    public func receiveListeners() throws -> InheritedSockets {
        let message = try channel.receive(timeoutMilliseconds: 30_000)
        var descriptors = message.descriptors
        defer { for descriptor in descriptors { close(descriptor) } }
        guard case .listeners(let set) = try TakeoverMessage(decoding: message.payload.span),
            set.descriptorCount == UInt32(descriptors.count)
        else { throw Refusal(description: "the listening sockets did not arrive as announced") }
        var sockets: [ListeningSocket] = []
        while !descriptors.isEmpty {
            let descriptor = descriptors.removeFirst()
            do { sockets.append(try ListeningSocket(adopting: descriptor)) } catch {
                close(descriptor)
                throw error
            }
        }
        let perShard = Int(set.clientListenersPerShard)
        let shards = Int(set.shardCount)
        let clientListeners = (0..<shards).map { Array(sockets[($0 * perShard)..<(($0 + 1) * perShard)]) }
        var next = shards * perShard
        let inner = Array(sockets[next..<(next + Int(set.innerListeners))])
        next += Int(set.innerListeners)
        let register = set.hasRegister ? sockets[next] : nil
        if set.hasRegister { next += 1 }
        let admin = set.hasAdmin ? sockets[next] : nil
        return InheritedSockets(
            gateway: TakeoverSockets(clientListeners: clientListeners, innerListeners: inner), register: register,
            admin: admin)
    }

    /// How the takeover ended for this process.
    public enum Outcome {
        /// Every shard moved; this process serves everything.
        case completed
        /// The old process went away before the end: this process serves what it adopted and starts the
        /// rest empty.
        case oldProcessGone
        /// The old process gave up (and keeps its clients): this process must exit.
        case abandoned(String)
    }

    /// Adopts shards until the old process says it is finished (or gives up, or goes away). `takingCharge`
    /// runs once every shard is here, before the old process exits (systemd: MAINPID=, READY=1).
    public func adoptShards(into service: Service, takingCharge: () -> Void = {}) -> Outcome {
        guard let gateway = service.figures.gateway else { return .abandoned("no gateway") }
        var adopted = Set<Int>()
        var outcome = Outcome.oldProcessGone
        receiving: while true {
            let message: HandoverMessage
            do { message = try channel.receive(timeoutMilliseconds: 120_000) } catch {
                logger.warning("takeover channel: \(error)")
                break receiving
            }
            let decoded: TakeoverMessage
            do { decoded = try TakeoverMessage(decoding: message.payload.span) } catch {
                for descriptor in message.descriptors { close(descriptor) }
                logger.error("takeover channel: undecodable message: \(error)")
                break receiving
            }
            switch decoded {
            case .shardState(let index, let snapshot, let count):
                if ProcessInfo.processInfo.environment["RINGGATE_TEST_TAKEOVER_CRASH"] == "on-first-shard" {
                    // Tests: a new binary that dies halfway (the old process must keep every client).
                    logger.critical("RINGGATE_TEST_TAKEOVER_CRASH: exiting before adopting shard \(index)")
                    exit(3)
                }
                if let pause = ProcessInfo.processInfo.environment["RINGGATE_TEST_TAKEOVER_PAUSE_MS"].flatMap(
                    UInt32.init)
                {
                    // Tests: a takeover slow enough to act in the middle of (a signal to the old process).
                    usleep(min(pause, 10_000) * 1_000)
                }
                let answer = adoptShard(Int(index), snapshot: snapshot, count: Int(count), gateway: gateway)
                if case .shardAdopted = answer { adopted.insert(Int(index)) }
                do { try channel.send(answer.encoded()) } catch { break receiving }
            case .finished:
                outcome = .completed
                takingCharge()
                try? channel.send(TakeoverMessage.finished.encoded(), timeoutMilliseconds: 5_000)
                break receiving
            case .abort(let reason):
                return .abandoned(reason)
            default:
                for descriptor in message.descriptors { close(descriptor) }
                logger.error("takeover channel: unexpected message")
                break receiving
            }
        }
        for shard in 0..<gateway.shardCount where !adopted.contains(shard) {
            gateway.startWithoutAdoption(shard: shard)
        }
        if case .completed = outcome {
            waitForOldProcessExit()
        } else {
            takingCharge()
        }
        service.completeTakeover()
        return outcome
    }

    /// Receives shard `index`'s sockets batch by batch (each placed in the shard's file table and closed
    /// here at once: at most one batch of ordinary descriptors is open, whatever RLIMIT_NOFILE is), then
    /// adopts them with the state; the answer for the old process.
    private func adoptShard(_ index: Int, snapshot bytes: [UInt8], count: Int, gateway: GatewayServer)
        -> TakeoverMessage
    {
        var placed = 0
        var problem: String?
        if index >= gateway.shardCount { problem = "no shard \(index) here" }
        let snapshot: TakeoverSnapshot?
        do { snapshot = try TakeoverSnapshot(decoding: bytes.span) } catch {
            snapshot = nil
            problem = problem ?? "unreadable state: \(error)"
        }
        // Every batch the old process sends is read (and its descriptors closed) even after a problem, so the
        // channel stays in step for the answer.
        while placed < count {
            let message: HandoverMessage
            do { message = try channel.receive(timeoutMilliseconds: 60_000) } catch {
                return .shardRefused(index: UInt32(index), reason: "sockets did not arrive: \(error)")
            }
            defer { for descriptor in message.descriptors { close(descriptor) } }
            guard case .descriptorBatch(let shard, let slots) = try? TakeoverMessage(decoding: message.payload.span),
                Int(shard) == index, slots.count == message.descriptors.count, !slots.isEmpty
            else {
                return .shardRefused(index: UInt32(index), reason: "a socket batch did not match its slots")
            }
            placed += slots.count
            guard problem == nil else { continue }
            let placements = zip(slots, message.descriptors).map { (slot: $0, descriptor: $1) }
            if case .failure(let error) = gateway.placeAdoptedSockets(shard: index, placements) {
                problem = error.description
            }
        }
        if let problem { return .shardRefused(index: UInt32(index), reason: problem) }
        guard let snapshot else { return .shardRefused(index: UInt32(index), reason: "no state") }
        switch gateway.adopt(shard: index, snapshot: snapshot) {
        case .success(let clients):
            logger.info("adopted shard", metadata: ["shard": "\(index)", "clients": "\(clients)"])
            return .shardAdopted(index: UInt32(index))
        case .failure(let error):
            logger.error("could not adopt shard \(index): \(error)")
            return .shardRefused(index: UInt32(index), reason: error.description)
        }
    }

    /// The old process keeps the Register and admin endpoint until it exits; wait (bounded) for that.
    private func waitForOldProcessExit() {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline && kill(oldPID, 0) == 0 {
            // Our parent: once it exits, getppid() changes; a zombie parent still answers kill(0).
            if getppid() != oldPID { return }
            usleep(20_000)
        }
    }
}
