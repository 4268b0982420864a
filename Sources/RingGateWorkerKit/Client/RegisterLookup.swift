import Glibc
import NIOCore
import NIOPosix
import RingGateCodecs

/// One gateway-list lookup as PHP's GatewayClient does it (spec §6): connect to the first Register
/// that accepts a TCP connection, send `worker_connect`, read one line, close.
///
/// A lookup is a short request/response exchange, so it is written as an async function over a
/// `NIOAsyncChannel` (Register line framing in the pipeline) rather than as a callback connection.
enum RegisterLookup {
    /// Asks the Registers in order (moving on only when one refuses the connection) and calls
    /// `completion` on the loop thread with the address list, or a failure after `timeout`. If the kit
    /// stops first, `completion` is not called (the caller fails its waiters when it stops).
    static func run(
        loop: KitLoop, registers: [IPv4Endpoint], secretKey: String, timeout: Duration,
        completion: @escaping (Result<[String], GatewayKitError>) -> Void
    ) {
        let nioLoop = loop.nioLoop
        let bound = NIOLoopBound(completion, eventLoop: nioLoop)
        Task {
            let result = await lookup(on: nioLoop, registers: registers, secretKey: secretKey, timeout: timeout)
            loop.execute { bound.value(result) }
        }
    }

    /// The lookup itself: every Register in order until one accepts the connection.
    static func lookup(
        on eventLoop: any EventLoop, registers: [IPv4Endpoint], secretKey: String, timeout: Duration
    ) async -> Result<[String], GatewayKitError> {
        guard !registers.isEmpty else {
            return .failure(.registerUnavailable(reason: "no Register address configured"))
        }
        var result = Result<[String], GatewayKitError>.failure(.noGatewayAddresses)
        for endpoint in registers {
            result = await ask(endpoint, on: eventLoop, secretKey: secretKey, timeout: timeout)
            guard case .failure(.connectFailed) = result else { break }
        }
        return result
    }

    private static func ask(
        _ endpoint: IPv4Endpoint, on eventLoop: any EventLoop, secretKey: String, timeout: Duration
    ) async -> Result<[String], GatewayKitError> {
        let deadline = ContinuousClock.now + timeout
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(timeout))
                .connect(to: endpoint.socketAddress()) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(RegisterLineDecoder(maxLineLength: RegisterLink.maxLineLength)))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            if ContinuousClock.now >= deadline { return .failure(.timeout(address: endpoint.description)) }
            return .failure(
                .connectFailed(address: endpoint.description, errno: IOErrors.errno(of: error) ?? ECONNREFUSED))
        }
        let nioChannel = channel.channel
        let timer = nioChannel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { nioChannel.close(promise: nil) }
        defer { timer.cancel() }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(bytes: RegisterMessage.workerConnect(secretKey: secretKey).encodedLine))
                for try await line in inbound {
                    return reply(Array(line.readableBytesView))
                }
                if ContinuousClock.now >= deadline { return .failure(.timeout(address: endpoint.description)) }
                return .failure(.registerUnavailable(reason: "Register \(endpoint) closed before replying"))
            }
        } catch let error as FrameTooLong {
            return .failure(.registerUnavailable(reason: error.description))
        } catch {
            if ContinuousClock.now >= deadline { return .failure(.timeout(address: endpoint.description)) }
            return .failure(.registerUnavailable(reason: "Register \(endpoint) failed before replying: \(error)"))
        }
    }

    /// The gateway list of one Register line.
    private static func reply(_ line: [UInt8]) -> Result<[String], GatewayKitError> {
        switch RegisterMessage.decode(line: line) {
        case .message(.broadcastAddresses(let list)):
            let addresses = list.addresses
            if addresses.count > RegisterLink.maxAddresses {
                return .failure(.registerUnavailable(reason: "Register listed \(addresses.count) gateways"))
            }
            return addresses.isEmpty ? .failure(.noGatewayAddresses) : .success(addresses)
        case .message(let other):
            return .failure(.registerUnavailable(reason: "unexpected reply \(other)"))
        case .unknownEvent(let event):
            return .failure(.registerUnavailable(reason: "unexpected event \(event)"))
        case .badRequest(let reason), .invalidMessage(_, let reason):
            return .failure(.registerUnavailable(reason: reason))
        }
    }
}
