import Dispatch
import FuzzSupport
import Glibc
import Logging
import RingGate
import RingGateRuntime
import Synchronization
import TestSupport

/// The real gateway under fuzz: one shard with a text listener and its inner port (secret
/// `fuzz-secret`), a registered worker that never reads (its events pile up and are dropped by the
/// gateway's output limit, as a stalled worker's would), and a few hundred real loopback clients with
/// uids, groups and sessions. Each input is run by the shard itself as one inner connection's stream
/// (`ClientShard.runInjectedInnerStream`): assembler, secret check and every command of spec §4 act on
/// the real tables and send to the real clients.
/// Used from libFuzzer's one thread only; the shard is reached through its mailbox.
final class FuzzedGateway: @unchecked Sendable {
    static let secretKey = "fuzz-secret"
    static let clientCount = 300

    let server: GatewayServer
    let worker: TestWorker
    var clients: [TestClient] = []
    var inputs = 0

    init() throws {
        var configuration = try testConfiguration(listeners: ["text://127.0.0.1:0"], shards: 1)
        configuration.slabBytesPerThread = 8 << 20
        var upstream = try UpstreamConfiguration(lanIP: "127.0.0.1", startPort: 0)
        upstream.secretKey = Self.secretKey
        upstream.receiveBufferCount = 16
        configuration.upstream = upstream
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        server = try GatewayServer(configuration: configuration, logger: logger)
        // Its key (127.0.0.1:…) is one no injected stream can take over: injected links have no peer
        // address (0.0.0.0).
        worker = try TestWorker(addresses: server.innerAddresses, workerKey: "FuzzFixture:0", secretKey: Self.secretKey)
        guard server.waitForUpstream(seconds: 10, { $0.workersRegistered == 1 }) else {
            fatalError("the fixture worker did not register")
        }
        try replenishClients()
    }

    /// Tops the client table up to `clientCount` (inputs kick and destroy clients) and tags the new ones.
    /// A client the gateway is closing right now still reads as open until its FIN arrives, so the count
    /// is taken again until it holds; a client the gateway dropped without closing its socket stays
    /// "open" and uncounted, and still fails the fixture after 10 s.
    func replenishClients() throws {
        let deadline = monotonicSeconds() + 10
        while true {
            clients.removeAll { client in !isOpen(client) }
            while clients.count < Self.clientCount {
                clients.append(try TestClient(port: server.boundAddresses[0].port))
            }
            let expected = clients.count
            if server.waitFor(seconds: 0.5, { $0.liveConnections >= expected }) { break }
            guard monotonicSeconds() < deadline else { fatalError("clients did not connect") }
        }
        server.onShard(0) { $0.tagClientsForFuzzing() }
    }

    /// Reads and drops what the gateway sent a client; false once the gateway closed it.
    private func isOpen(_ client: TestClient) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes {
                recv(client.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
            }
            if count > 0 { continue }
            return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        }
    }

    func run(_ stream: [UInt8], receiveSize: Int, authorised: Bool) {
        while true {
            let ran = Mutex(false)
            server.onShard(0) { shard in
                let outcome = shard.runInjectedInnerStream(stream, receiveSize: receiveSize, authorised: authorised)
                ran.withLock { $0 = outcome != nil }
            }
            if ran.withLock({ $0 }) { break }
            usleep(100)  // every injection slot is still closing: let the shard finish those closes
        }
        inputs += 1
        if inputs % 64 == 0 { try? replenishClients() }
    }
}

/// Aborts with the input (libFuzzer then saves it) when the shard has not finished one in 30 s: a
/// frozen shard is a bug as much as a crash.
final class HangWatchdog: Sendable {
    private let startedAt = Atomic<UInt64>(0)

    init() {
        DispatchQueue.global().async { [self] in
            while true {
                sleep(1)
                let started = startedAt.load(ordering: .relaxed)
                if started != 0 && ShardLoop.now() - started > 30_000_000_000 {
                    let message = Array("FuzzGatewayCommands: the shard did not finish an input within 30 s\n".utf8)
                    _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
                    abort()
                }
            }
        }
    }

    func begin() { startedAt.store(ShardLoop.now(), ordering: .relaxed) }
    func end() { startedAt.store(0, ordering: .relaxed) }
}

let gateway: FuzzedGateway = {
    do { return try FuzzedGateway() } catch { fatalError("could not start the gateway under fuzz: \(error)") }
}()
let watchdog = HangWatchdog()

/// First byte: bit 0 starts the connection authorised (otherwise the stream must begin with a
/// CMD_WORKER_CONNECT / CMD_GATEWAY_CLIENT_CONNECT carrying the secret `fuzz-secret`); bits 1–7 pick
/// the receive size (0: the whole stream in one receive, n: 1 + (n - 1) * 29 bytes per receive, so
/// packets are split and several arrive per receive). The rest is the inner byte stream.
func fuzzOne(_ data: [UInt8]) {
    guard let first = data.first else { return }
    let sizeCode = Int(first >> 1)
    let receiveSize = sizeCode == 0 ? 0 : 1 + (sizeCode - 1) * 29
    watchdog.begin()
    gateway.run(Array(data.dropFirst()), receiveSize: receiveSize, authorised: first & 1 == 1)
    watchdog.end()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { FuzzReplay.one(data, size, fuzzOne) }

#if !FUZZING
    @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
#endif
