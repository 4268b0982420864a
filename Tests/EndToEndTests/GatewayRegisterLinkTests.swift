import Glibc
import RingGate
import RingGateCodecs
import RingGateRuntime
import TestSupport
import Testing

/// Each shard announces its inner address to the Register and reconnects 1 s after losing it (§6).
@Suite(.serialized) struct GatewayRegisterLinkTests {
    /// Accepts one connection on `listener` (blocking up to 5 s) and reads its first line.
    static func acceptLine(_ listener: ListeningSocket) throws -> (descriptor: Int32, line: String) {
        var poller = pollfd(fd: listener.descriptor, events: Int16(POLLIN), revents: 0)
        try #require(poll(&poller, 1, 5000) == 1, "no gateway connected to the Register")
        let descriptor = accept(listener.descriptor, nil, nil)
        try #require(descriptor >= 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while recv(descriptor, &byte, 1, 0) == 1 {
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        return (descriptor, String(decoding: line, as: UTF8.self))
    }

    @Test func everyShardRegistersItsAddressAndReconnectsAfterAClose() throws {
        let register = try ListeningSocket(binding: SocketAddress("127.0.0.1:0")!, reusePort: false)
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"]) { configuration in
            configuration.upstream?.registerAddresses = [register.address]
            configuration.upstream?.secretKey = #"k"e/y"#
        } _: { server in
            var lines: [String] = []
            var descriptors: [Int32] = []
            for _ in server.innerAddresses {
                let (descriptor, line) = try Self.acceptLine(register)
                lines.append(line)
                descriptors.append(descriptor)
            }
            // PHP's layout (spaces after the commas), the secret escaped properly (§6, §12).
            let expected = server.innerAddresses.map {
                #"{"event":"gateway_connect", "address":"\#($0)", "secret_key":"k\"e/y"}"#
            }
            #expect(lines.sorted() == expected.sorted())
            #expect(server.waitForUpstream { $0.registerConnected == 2 })
            // The Register goes away: each shard reconnects about 1 s later and registers again.
            let closedAt = monotonicSeconds()
            for descriptor in descriptors { close(descriptor) }
            let (again, line) = try Self.acceptLine(register)
            defer { close(again) }
            let waited = monotonicSeconds() - closedAt
            #expect(waited >= 0.9 && waited < 3, "reconnected after \(waited) s")
            #expect(expected.contains(line))
        }
    }

    /// The Register never writes to gateways. What one sends anyway is counted and dropped; complete lines
    /// keep the link, and 10 MiB without a newline closes it as PHP's `text://` link does (a new one
    /// follows). Before, any amount was taken in silently, with no log and no counter.
    @Test func bytesFromTheRegisterAreCountedAndAnEndlessLineClosesTheLink() throws {
        let register = try ListeningSocket(binding: SocketAddress("127.0.0.1:0")!, reusePort: false)
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { configuration in
            configuration.upstream?.registerAddresses = [register.address]
        } _: { server in
            let (descriptor, _) = try Self.acceptLine(register)
            defer { close(descriptor) }
            #expect(server.waitForUpstream { $0.registerConnected == 1 })
            let stray = Array(#"{"event":"broadcast_addresses","addresses":["10.9.9.9:2900"]}"#.utf8) + [10]
            #expect(send(descriptor, stray, stray.count, 0) == stray.count)
            #expect(server.waitForUpstream { $0.registerUnexpectedBytes == UInt64(stray.count) })
            #expect(server.totalUpstream().registerConnected == 1)

            // 10 MiB and one more byte with no newline: the link is closed, and the gateway registers again.
            let block = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var sent = 0
            while sent < 11 << 20 {
                let count = send(descriptor, block, block.count, Int32(MSG_NOSIGNAL))
                guard count > 0 else { break }
                sent += count
            }
            #expect(sent >= 10 << 20)
            #expect(server.waitForUpstream { $0.registerFailures >= 1 })
            let (again, line) = try Self.acceptLine(register)
            defer { close(again) }
            #expect(line.contains("gateway_connect"))
            #expect(server.totalUpstream().registerUnexpectedBytes >= UInt64(10 << 20))
        }
    }

}
