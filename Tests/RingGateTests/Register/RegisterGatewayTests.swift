import Glibc
import RingGate
import RingGateCodecs
import RingGateRuntime
import TestSupport
import Testing

/// RingGate's own gateway shards against the built-in Register: each shard registers its inner
/// address, a worker is told, and the list empties when the gateway stops.
@Suite(.timeLimit(.minutes(1))) struct RegisterGatewayTests {
    typealias Lines = RegisterTestLines

    @Test func gatewayShardsRegisterAndLeave() throws {
        try RegisterServerTests.withRegister(secret: #"s"e\k/"#) { register, port in
            let worker = try TestClient(port: port)
            try worker.send(Lines.phpWorkerConnect(secret: #"s"e\k/"#))
            #expect(try Self.line(from: worker) == Lines.broadcast([]))
            try withWorkerGateway(listeners: ["text://127.0.0.1:0"]) { configuration in
                configuration.upstream?.registerAddresses = [.ipv4(address: 0x7F00_0001, port: port)]
                configuration.upstream?.secretKey = #"s"e\k/"#
            } _: { gateway in
                let expected = Set(gateway.innerAddresses.map(\.description))
                #expect(expected.count == 2)
                #expect(RegisterServerTests.waitFor(register) { Set($0.gatewayAddresses) == expected })
                // Registrations close together are coalesced: one or two broadcasts, the last lists both.
                let lists = try Self.lines(from: worker, until: { Set($0) == expected })
                #expect(lists.count <= 2 && lists.allSatisfy { !$0.isEmpty })
            }
            #expect(RegisterServerTests.waitFor(register) { $0.gatewaysRegistered == 0 && $0.authFailures == 0 })
            let lists = try Self.lines(from: worker, until: \.isEmpty)
            #expect(lists.count <= 2)
        }
    }

    /// Reads one `\n`-terminated line (the newline included).
    static func line(from client: TestClient) throws -> [UInt8] {
        var line: [UInt8] = []
        while line.last != UInt8(ascii: "\n") { line += try client.receive(exactly: 1) }
        return line
    }

    /// Reads broadcasts until one's addresses satisfy `done` (at most 4); returns every list read.
    static func lines(from client: TestClient, until done: ([String]) -> Bool) throws -> [[String]] {
        var lists: [[String]] = []
        repeat { lists.append(addresses(in: try line(from: client))) } while !done(lists.last ?? []) && lists.count < 4
        #expect(done(lists.last ?? []), "\(lists)")
        return lists
    }

    /// The addresses of a broadcast_addresses line (none for anything else).
    static func addresses(in line: [UInt8]) -> [String] {
        guard case .message(.broadcastAddresses(let list)) = RegisterMessage.decode(line: line) else { return [] }
        return list.addresses
    }
}
