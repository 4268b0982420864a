import ArgumentParser
import Dispatch
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// The benchmarks' baseline: the raw WebSocket echo, raw TCP echo and broadcast paths written the way a Swift
/// team would write them with SwiftNIO (one event loop per core, NIOWebSocket's upgrader, no per-message
/// logging), so RingGate is compared with a fair alternative rather than a strawman.
@main
struct NIOBaseline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "NIOBaseline",
        abstract: "SwiftNIO echo and broadcast server, the baseline for RingGate's benchmarks."
    )

    enum Framing: String, ExpressibleByArgument, CaseIterable, Sendable {
        case websocket, tcp
    }

    @Option(help: "Client listener, ip:port (port 0 picks a free one).")
    var listen: String

    @Option(help: "Client framing: websocket (HTTP/1.1 upgrade, frames echoed) or tcp (raw bytes echoed).")
    var framing: Framing

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int = System.coreCount

    @Option(help: "Control listener, ip:port: 'broadcast <bytes>' and 'count' lines.")
    var control: String?

    func validate() throws {
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
        _ = try Self.hostAndPort(listen)
        if let control { _ = try Self.hostAndPort(control) }
    }

    func run() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let registry = ClientRegistry(group: group, framing: framing)

        var listeners: [Channel] = []
        if let control {
            let (host, port) = try Self.hostAndPort(control)
            listeners.append(try ControlServer.bind(host: host, port: port, group: group, registry: registry).wait())
        }
        let (host, port) = try Self.hostAndPort(listen)
        let clientListener = try makeClientBootstrap(group: group, registry: registry).bind(host: host, port: port)
            .wait()
        listeners.append(clientListener)

        let signalSources = Self.closeOnTermination(listeners)
        if let address = clientListener.localAddress, let ip = address.ipAddress, let boundPort = address.port {
            print("listening \(ip):\(boundPort)")
        }
        fflush(nil)  // stdout is a pipe to the runner: block-buffered

        for listener in listeners { try? listener.closeFuture.wait() }
        withExtendedLifetime(signalSources) {}
        try group.syncShutdownGracefully()
    }

    /// Normal NIO server tuning: a deep accept backlog (the benchmarks connect thousands at once), TCP_NODELAY
    /// for small echoes, several reads per wake-up with NIO's adaptive receive buffers.
    private func makeClientBootstrap(group: MultiThreadedEventLoopGroup, registry: ClientRegistry) -> ServerBootstrap {
        let framing = self.framing
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator())
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    switch framing {
                    case .tcp:
                        try channel.pipeline.syncOperations.addHandlers(
                            BackPressureHandler(), TCPEchoHandler(), ClientMembershipHandler(registry: registry))
                    case .websocket:
                        try WebSocketEchoPipeline.configure(channel, registry: registry)
                    }
                }
            }
    }

    /// SIGTERM and SIGINT close the listeners, which lets `run` shut the event loops down and return (exit 0).
    private static func closeOnTermination(_ listeners: [Channel]) -> [DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                for listener in listeners { listener.close(promise: nil) }
            }
            source.resume()
            return source
        }
    }

    static func hostAndPort(_ address: String) throws -> (host: String, port: Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port), colon != address.startIndex
        else { throw ValidationError("expected ip:port, got '\(address)'") }
        return (String(address[..<colon]), port)
    }
}
