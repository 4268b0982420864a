import RingGateCodecs

/// One gateway-list lookup as PHP's GatewayClient does it (spec §6): connect to the first Register
/// that accepts a TCP connection, send `worker_connect`, read one line, close.
final class RegisterLookup: LoopConnection {
    private let secretKey: String
    private var completion: ((Result<[String], GatewayKitError>) -> Void)?
    private var buffered: [UInt8] = []
    /// Bytes of `buffered` already searched for the newline, so a long reply is scanned once.
    private var scanned = 0

    private init(
        loop: EventLoop, endpoint: IPv4Endpoint, secretKey: String,
        completion: @escaping (Result<[String], GatewayKitError>) -> Void
    ) {
        self.secretKey = secretKey
        self.completion = completion
        super.init(loop: loop, endpoint: endpoint)
    }

    /// Asks the Registers in order (moving on only when one refuses the connection) and completes
    /// with the address list, or fails after `timeout`.
    static func run(
        loop: EventLoop, registers: [IPv4Endpoint], secretKey: String, timeout: Duration,
        completion: @escaping (Result<[String], GatewayKitError>) -> Void
    ) {
        guard let first = registers.first else {
            return completion(.failure(.registerUnavailable(reason: "no Register address configured")))
        }
        let lookup = RegisterLookup(loop: loop, endpoint: first, secretKey: secretKey) { result in
            if case .failure(.connectFailed) = result, registers.count > 1 {
                return run(
                    loop: loop, registers: Array(registers.dropFirst()), secretKey: secretKey, timeout: timeout,
                    completion: completion)
            }
            completion(result)
        }
        lookup.start()
        loop.schedule(after: timeout) { [weak lookup] in lookup?.close(.timeout) }
    }

    override func didConnect() {
        outbound.append(contentsOf: RegisterMessage.workerConnect(secretKey: secretKey).encodedLine)
        outboundDidGrow()
    }

    override func didReceive(_ bytes: Span<UInt8>) {
        ByteCopy.append(bytes, to: &buffered)
        guard let newline = buffered[scanned...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = buffered.count
            if buffered.count > RegisterLink.maxLineLength { close(.protocolError("Register line too long")) }
            return
        }
        let result: Result<[String], GatewayKitError>
        switch RegisterMessage.decode(line: Array(buffered[..<newline])) {
        case .message(.broadcastAddresses(let list)):
            let addresses = list.addresses
            if addresses.count > RegisterLink.maxAddresses {
                result = .failure(.registerUnavailable(reason: "Register listed \(addresses.count) gateways"))
            } else {
                result = addresses.isEmpty ? .failure(.noGatewayAddresses) : .success(addresses)
            }
        case .message(let other):
            result = .failure(.registerUnavailable(reason: "unexpected reply \(other)"))
        case .unknownEvent(let event):
            result = .failure(.registerUnavailable(reason: "unexpected event \(event)"))
        case .badRequest(let reason), .invalidMessage(_, let reason):
            result = .failure(.registerUnavailable(reason: reason))
        }
        finish(result)
        close(.local)
    }

    override func didClose(_ reason: CloseReason) {
        switch reason {
        case .connectFailed(let code): finish(.failure(.connectFailed(address: endpoint.description, errno: code)))
        case .timeout: finish(.failure(.timeout(address: endpoint.description)))
        case .shutdown: finish(.failure(.shutdown))
        default: finish(.failure(.registerUnavailable(reason: "Register \(endpoint) \(reason) before replying")))
        }
    }

    private func finish(_ result: Result<[String], GatewayKitError>) {
        guard let completion else { return }
        self.completion = nil
        completion(result)
    }
}
