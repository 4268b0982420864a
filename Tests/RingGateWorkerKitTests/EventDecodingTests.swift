import RingGateCodecs
import Testing

@testable import RingGateWorkerKit

/// The §10.2 event vectors decoded the way BusinessWorker reads them.
@Suite struct EventDecodingTests {
    private func decode(_ wire: [UInt8]) throws -> WorkerEvent {
        var assembler = GatewayPacketAssembler()
        assembler.append(wire)
        let layout = try #require(try assembler.peekPacket())
        return assembler.withContents(of: layout) { ext, body in
            WorkerEvent(header: layout.header, extData: ext, body: body)
        }
    }

    @Test func onConnect() throws {
        let event = try decode(Vectors.onConnect)
        #expect(event.kind == .connect)
        #expect(event.clientID.description == "7f0000010b5400000001")
        #expect(event.header.clientIP == 0x7F00_0001)
        #expect(event.header.clientPort == 44900)
        #expect(event.header.gatewayPort == 8282)
        #expect(event.session.isEmpty)
    }

    @Test func onMessageWithAndWithoutSession() throws {
        let hello = try decode(Vectors.onMessageHello)
        #expect(hello.kind == .message(utf8("hello")))
        #expect(hello.session.isEmpty)
        let second = try decode(Vectors.onMessageSecondWithSession)
        #expect(second.kind == .message(utf8("second")))
        #expect(second.session == Vectors.aliceSession)
    }

    @Test func onCloseCarriesTheSession() throws {
        let event = try decode(Vectors.onCloseWithSession)
        #expect(event.kind == .close)
        #expect(event.session == Vectors.aliceSession)
    }

    @Test func onWebSocketConnectBodyIsUnserializedBecauseFlagBit0IsClear() throws {
        let event = try decode(Vectors.onWebSocketConnect)
        guard case .webSocketConnect(let request) = event.kind else {
            Issue.record("not a websocket connect: \(event.kind)")
            return
        }
        let get = request.arrayValue?["get"]?.arrayValue
        #expect(get?["token"] == "abc")
        #expect(get?["x"] == ["1", "2"])
        #expect(request.arrayValue?["server"]?.arrayValue?["HTTP_X_FORWARDED_FOR"] == "10.1.2.3")
        #expect(request.arrayValue?["cookie"]?.arrayValue?["lang"] == "zh CN")
    }

    @Test func pingAndUnknownCommands() throws {
        #expect(try decode(Vectors.ping).kind == .ping)
        let unknown = try GatewayPacket(command: GatewayCommand(rawValue: 99), flags: .bodyIsScalar).encoded()
        #expect(try decode(unknown).kind == .unknown(GatewayCommand(rawValue: 99)))
    }

    @Test func aSerializedMessageBodyIsAcceptedAsItsString() throws {
        let serialized = try GatewayPacket(command: .onMessage, connectionID: 1, body: utf8(#"s:2:"hi";"#)).encoded()
        #expect(try decode(serialized).kind == .message(utf8("hi")))
        let array = try GatewayPacket(command: .onMessage, connectionID: 1, body: utf8("a:0:{}")).encoded()
        #expect(try decode(array).kind == .undecodableMessage)
    }
}
