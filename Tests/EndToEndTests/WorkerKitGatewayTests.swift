import Glibc
import RingGate
import RingGateCodecs
import RingGateWorkerKit
import TestSupport
import Testing

/// A Swift BusinessWorker (the worker kit) behind a 2-shard gateway with text clients: the chat a
/// worker runs, sessions across messages, uid and groups, and queries aggregated over both shards.
@Suite(.serialized) struct WorkerKitGatewayTests {
    /// `verb:argument` lines: echo, join a group, bind a uid, say to a group, count in the session.
    struct ChatHandler: BusinessWorkerHandler {
        func onMessage(_ context: inout WorkerContext, message: [UInt8]) {
            let text = String(decoding: message, as: UTF8.self)
            let verb = text.prefix { $0 != ":" }
            let argument = String(text.dropFirst(verb.count + 1))
            switch verb {
            case "echo": context.send(argument)
            case "join":
                context.joinGroup(GatewayID(stringLiteral: argument))
                context.send("joined")
            case "uid":
                context.bindUid(GatewayID(stringLiteral: argument))
                context.send("bound")
            case "say": context.gateway.sendToGroup(GatewayID(stringLiteral: "room"), argument)
            case "all": context.gateway.sendToAll(argument)
            case "count":
                let count =
                    context.session?[PHPKey.string(Array("n".utf8))].flatMap { value -> Int64? in
                        if case .int(let number) = value { return number }
                        return nil
                    } ?? 0
                context.updateSession([PHPKey.string(Array("n".utf8)): .int(count + 1)])
                context.send("n=\(count + 1)")
            case "kick": context.close(message: "bye")
            default: context.send("?")
            }
        }
    }

    static func line(_ client: TestClient) throws -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = try client.receive(exactly: 1)[0]
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }

    @Test func chatSessionsGroupsAndAggregatedQueries() async throws {
        try await withWorkerGateway(listeners: ["text://127.0.0.1:0"]) { server in
            let worker = try BusinessWorker(
                configuration: .init(
                    name: "Chat", gatewayAddresses: server.innerAddresses.map(\.description)),
                handler: ChatHandler())
            try worker.start()
            defer { Task { await worker.shutdown() } }
            #expect(server.waitForUpstream { $0.workersRegistered == 2 })
            // Clients until both shards have one.
            var clients: [TestClient] = []
            while server.reports().filter({ $0.counters.liveConnections > 0 }).count < 2 {
                let client = try TestClient(port: server.port())
                try client.send("echo:hi\n")
                #expect(try Self.line(client) == "hi")
                clients.append(client)
                try #require(clients.count < 64)
            }
            // Sessions survive across messages and merge.
            for expected in 1...3 {
                try clients[0].send("count:\n")
                #expect(try Self.line(clients[0]) == "n=\(expected)")
            }
            // A group spanning both shards: say reaches every member once, across shards.
            for client in clients {
                try client.send("join:room\n")
                #expect(try Self.line(client) == "joined")
            }
            try clients[0].send("say:hello room\n")
            for client in clients { #expect(try Self.line(client) == "hello room") }
            // uid with two connections.
            try clients[0].send("uid:u1\n")
            #expect(try Self.line(clients[0]) == "bound")
            try clients[1].send("uid:u1\n")
            #expect(try Self.line(clients[1]) == "bound")
            // Queries aggregated over both gateway addresses.
            #expect(try await worker.gateway.getAllClientIdCount() == clients.count)
            #expect(try await worker.gateway.getClientIdCountByGroup("room") == clients.count)
            #expect(try await worker.gateway.getClientIdByUid("u1").count == 2)
            #expect(Set(try await worker.gateway.getAllGroupIdList()) == ["room"])
            // Kick: the message, then the close.
            try clients[0].send("kick:\n")
            #expect(try clients[0].receiveUntilClosed() == Array("bye\n".utf8))
            #expect(try await worker.gateway.getAllClientIdCount() == clients.count - 1)
            await worker.shutdown()
        }
    }
}
