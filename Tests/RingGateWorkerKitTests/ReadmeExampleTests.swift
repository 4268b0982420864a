import RingGateCodecs
import RingGateWorkerKit
import Testing

/// The chat worker from README.md ("Using RingGate from Swift"), kept compiling and working here.
final class Chat: BusinessWorkerHandler {
    func onConnect(_ context: inout WorkerContext) {
        context.send("welcome \(context.clientID)")
    }

    func onMessage(_ context: inout WorkerContext, message: [UInt8]) {
        let text = String(decoding: message, as: UTF8.self)
        if text.hasPrefix("join ") {
            let room = String(text.dropFirst(5))
            context.joinGroup(GatewayID(room))
            context.session = ["room": PHPValue(string: room)]  // written back after the handler
            return
        }
        guard case .string(let room)? = context.session?["room"] else { return context.send("join a room first") }
        let group = GatewayID(String(decoding: room, as: UTF8.self))
        context.gateway.sendToGroup(group, "\(context.clientID): \(text)", exclude: [context.clientID])
    }
}

@Suite(.timeLimit(.minutes(1)))
struct ReadmeExampleTests {
    @Test func chatWorker() async throws {
        let gateway = try FakeListener()
        try await withWorker(testConfiguration(gateways: [gateway.address]), handler: Chat()) { worker in
            let peer = try await acceptWorkerLink(gateway, worker: worker)
            let client = clientID(on: gateway, 1)
            try await peer.send(try event(.onConnect, on: gateway, 1))
            #expect(try await peer.receivePacket().body == utf8("welcome \(client)"))
            try await peer.send(try event(.onMessage, on: gateway, 1, body: utf8("hi")))
            #expect(try await peer.receivePacket().body == utf8("join a room first"))
            try await peer.send(try event(.onMessage, on: gateway, 1, body: utf8("join lobby")))
            let join = try await peer.receivePacket()
            #expect(join.header.command == .joinGroup)
            #expect(join.extData == utf8("lobby"))
            let session = try await peer.receivePacket()
            #expect(session.header.command == .setSession)
            #expect(session.extData == utf8(#"a:1:{s:4:"room";s:5:"lobby";}"#))
            try await peer.send(try event(.onMessage, on: gateway, 1, session: session.extData, body: utf8("hello")))
            let chat = try await peer.receivePacket()
            #expect(chat.header.command == .sendToGroup)
            #expect(chat.extData == utf8(#"{"group":["lobby"],"exclude":{"1":1}}"#))
            #expect(chat.body == utf8("\(client): hello"))
        }
    }
}
