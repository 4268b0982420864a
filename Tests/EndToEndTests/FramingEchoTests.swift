import RingGate
import RingGateCodecs
import TestSupport
import Testing

/// Echo through real sockets for every non-WebSocket listener type, with two shards.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct FramingEchoTests {
    @Test func tcpEchoesEachRead() throws {
        try withGateway(listeners: ["tcp://127.0.0.1:0"]) { server in
            let client = try TestClient(port: server.port())
            try client.send("hello")
            #expect(try client.receive(exactly: 5) == Array("hello".utf8))
        }
    }

    @Test func textLinesAreSplitTrimmedAndReframed() throws {
        try withGateway(listeners: ["text://127.0.0.1:0"]) { server in
            let client = try TestClient(port: server.port())
            try client.send("one\r\ntwo\n\nthr")
            try client.send("ee\r\r\n")
            #expect(try client.receive(exactly: 15) == Array("one\ntwo\n\nthree\n".utf8))
        }
    }

    @Test func textLineSentOneByteAtATime() throws {
        try withGateway(listeners: ["text://127.0.0.1:0"]) { server in
            let client = try TestClient(port: server.port())
            try client.sendSlowly(Array("byte by byte\n".utf8))
            #expect(try client.receive(exactly: 13) == Array("byte by byte\n".utf8))
        }
    }

    @Test func frameMessagesWholeSplitAndMany() throws {
        try withGateway(listeners: ["frame://127.0.0.1:0"]) { server in
            let client = try TestClient(port: server.port())
            let hello: [UInt8] = [0, 0, 0, 9] + Array("hello".utf8)
            try client.send(hello)
            #expect(try client.receive(exactly: 9) == hello)
            try client.sendSlowly(hello, pieceSize: 2)
            #expect(try client.receive(exactly: 9) == hello)
            let many = (0..<200).flatMap { _ in hello }
            try client.send(many)
            #expect(try client.receive(exactly: many.count) == many)
            let empty: [UInt8] = [0, 0, 0, 4]
            try client.send(empty)
            #expect(try client.receive(exactly: 4) == empty)
        }
    }

    @Test func messagesLargerThanOneReceiveBufferAreAssembled() throws {
        try withGateway(listeners: ["frame://127.0.0.1:0"]) { server in
            let client = try TestClient(port: server.port())
            let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let length = UInt32(payload.count + 4)
            let frame =
                [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
                + payload
            try client.send(frame)
            #expect(try client.receive(exactly: frame.count) == frame)
        }
    }

    @Test func frameLengthBelowFourIsAProtocolErrorAndOthersAreUnaffected() throws {
        try withGateway(listeners: ["frame://127.0.0.1:0"]) { server in
            let bystander = try TestClient(port: server.port())
            let offender = try TestClient(port: server.port())
            try offender.send([0, 0, 0, 2])
            #expect(offender.waitForClose())
            let hello: [UInt8] = [0, 0, 0, 9] + Array("hello".utf8)
            try bystander.send(hello)
            #expect(try bystander.receive(exactly: 9) == hello)
            #expect(server.waitFor { $0.badInput[.invalidLength] == 1 })
        }
    }

    @Test func oversizedPackagesCloseTheConnection() throws {
        try withGateway(
            listeners: ["frame://127.0.0.1:0", "text://127.0.0.1:0"],
            configure: { configuration in
                for index in configuration.listeners.indices { configuration.listeners[index].maxPackageLength = 1000 }
            }
        ) { server in
            let frame = try TestClient(port: server.port(0))
            try frame.send([0, 0, 0x03, 0xE9])  // 1001 > 1000
            #expect(frame.waitForClose())
            let atLimit = try TestClient(port: server.port(0))
            let payload = [UInt8](repeating: 7, count: 996)
            try atLimit.send([0, 0, 0x03, 0xE8] + payload)
            #expect(try atLimit.receive(exactly: 1000) == [0, 0, 0x03, 0xE8] + payload)
            let text = try TestClient(port: server.port(1))
            try text.send([UInt8](repeating: 65, count: 1500))
            #expect(text.waitForClose())
            #expect(server.waitFor { $0.badInput[.messageTooLarge] == 2 })
        }
    }

    @Test func clientDisconnectingMidMessageLeavesOthersServed() throws {
        try withGateway(listeners: ["frame://127.0.0.1:0"]) { server in
            let quitter = try TestClient(port: server.port())
            try quitter.send([0, 0, 1, 0, 1, 2, 3])
            quitter.reset()
            let other = try TestClient(port: server.port())
            let hello: [UInt8] = [0, 0, 0, 9] + Array("hello".utf8)
            try other.send(hello)
            #expect(try other.receive(exactly: 9) == hello)
            #expect(server.waitFor { $0.liveConnections == 1 })
            let reports = server.reports()
            #expect(reports.allSatisfy { $0.receiveBuffersLent == 0 })
            // The abandoned partial message's chunk was released with its connection.
            #expect(reports.reduce(0) { $0 + $1.liveChunks } == 0)
        }
    }

    @Test func connectionsSpreadOverBothShards() throws {
        try withGateway(listeners: ["tcp://127.0.0.1:0"]) { server in
            let clients = try (0..<64).map { _ in try TestClient(port: server.port()) }
            for (index, client) in clients.enumerated() {
                try client.send("c\(index)")
                #expect(try client.receive(exactly: "c\(index)".utf8.count) == Array("c\(index)".utf8))
            }
            let reports = server.reports()
            #expect(reports.count == 2)
            #expect(reports.allSatisfy { $0.counters.liveConnections > 0 })
        }
    }
}
