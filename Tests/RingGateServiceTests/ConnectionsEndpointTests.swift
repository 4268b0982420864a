import Foundation
import RingGate
import RingGateCodecs
import TestSupport
import Testing

@testable import RingGateService

/// `/connections` against an in-process GatewayWorker gateway and a bare test worker: every column
/// (client_id as workers see it, uid, groups, bytes, state), pagination, and refused parameters.
@Suite(.timeLimit(.minutes(1))) struct ConnectionsEndpointTests {
    @Test func listsClientsWithUidGroupsAndBytesInPages() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let worker = try TestWorker(addresses: server.innerAddresses)
            try #require(server.waitForUpstream { $0.workerRegistrations >= 1 })
            var clients: [(client: TestClient, header: GatewayHeader)] = []
            for _ in 0..<3 {
                let client = try TestClient(port: server.port())
                clients.append((client, try worker.nextEvent(.onConnect).packet.header))
            }
            let (a, b) = (clients[0], clients[1])
            try a.client.send("hello\n")
            _ = try worker.nextEvent(.onMessage)
            try worker.send(
                [
                    GatewayPacket(
                        command: .bindUID, connectionID: a.header.connectionID, flags: .bodyIsScalar,
                        extData: Array("42".utf8)),
                    GatewayPacket(
                        command: .joinGroup, connectionID: a.header.connectionID, flags: .bodyIsScalar,
                        extData: Array("room".utf8)),
                    GatewayPacket(
                        command: .joinGroup, connectionID: a.header.connectionID, flags: .bodyIsScalar,
                        extData: Array("other".utf8)),
                    GatewayPacket(
                        command: .sendToOne, connectionID: b.header.connectionID, flags: .bodyIsScalar,
                        body: Array("hi".utf8)),
                ], link: 0)
            #expect(try b.client.receive(exactly: 3) == Array("hi\n".utf8))

            // Pages of 2: two, then one, then the end; together every client once, in slot order.
            var rows: [ConnectionListing] = []
            var cursor = 0
            var pages = 0
            while true {
                let document = try page(server, "shard=0&cursor=\(cursor)&limit=2")
                #expect(document.shard == 0 && document.shards == 1)
                #expect(document.connections.count <= 2)
                rows += document.connections
                pages += 1
                guard let next = document.nextCursor else { break }
                cursor = next
                try #require(pages < 10)
            }
            #expect(pages == 2)
            #expect(rows.count == 3)
            func clientID(_ header: GatewayHeader) -> String {
                var text: [UInt8] = []
                GatewayClientID(localIP: header.localIP, localPort: header.localPort, connectionID: header.connectionID)
                    .encode(into: &text)
                return String(decoding: text, as: UTF8.self)
            }
            #expect(Set(rows.map(\.clientID)) == Set(clients.map { clientID($0.header) }))
            let rowA = try #require(rows.first { $0.clientID == clientID(a.header) })
            #expect(rowA.uid == "42")
            #expect(rowA.groups == ["room", "other"])
            #expect(rowA.bytesIn == 6)
            #expect(rowA.state == "ESTABLISHED")
            #expect(rowA.remote == "127.0.0.1:\(a.client.localPort)")
            #expect(rowA.listener == "text://127.0.0.1:\(server.port())")
            let rowB = try #require(rows.first { $0.clientID == clientID(b.header) })
            #expect(rowB.uid == nil && rowB.groups.isEmpty)
            #expect(rowB.bytesIn == 0 && rowB.bytesOut == 3 && rowB.queuedBytes == 0)
            #expect(rows.allSatisfy { $0.ageSeconds < 60 })

            // A closed client leaves the listing.
            a.client.reset()
            _ = try worker.nextEvent(.onClose)
            #expect(try page(server, "").connections.map(\.clientID).contains(clientID(a.header)) == false)
        }
    }

    @Test func refusesBadParametersAndUnknownShards() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 2) { server in
            for query in ["shard=x", "limit=-1", "cursor", "evil=1"] {
                #expect(respond(server, query).status == 400, "\(query)")
            }
            #expect(respond(server, "shard=2").status == 404)
            let wholeShard = try page(server, "shard=1&limit=100000")
            #expect(wholeShard.nextCursor == nil && wholeShard.connections.isEmpty)
        }
        #expect(ConnectionsEndpoint.respond(to: request(""), gateway: nil).status == 404)
    }

    /// A cursor is any integer a request carries: past the table (up to Int.max, where the scan bound
    /// `cursor + 4 * limit + 1024` used to overflow and trap the shard) it is an empty last page.
    @Test func cursorsPastTheTableAreAnEmptyLastPage() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 2) { server in
            let worker = try TestWorker(addresses: server.innerAddresses)
            try #require(server.waitForUpstream { $0.workerRegistrations >= 1 })
            let client = try TestClient(port: server.port())
            _ = try worker.nextEvent(.onConnect)
            for query in [
                "cursor=\(Int.max)", "shard=1&cursor=\(Int.max - 1_000)&limit=10000", "cursor=\(Int.max / 4)",
                "cursor=1000000000",
            ] {
                let document = try page(server, query)
                #expect(document.connections.isEmpty && document.nextCursor == nil, "\(query)")
            }
            // The shards are still serving.
            try client.send("still here\n")
            #expect(try worker.nextEvent(.onMessage).packet.body == Array("still here".utf8))
            let listed = try page(server, "shard=0").connections.count + page(server, "shard=1").connections.count
            #expect(listed == 1)
        }
    }

    private func request(_ query: String) -> AdminServer.Request {
        AdminServer.Request(method: "GET", path: "/connections", query: query)
    }

    private func respond(_ server: GatewayServer, _ query: String) -> AdminServer.Response {
        ConnectionsEndpoint.respond(to: request(query), gateway: server)
    }

    private func page(_ server: GatewayServer, _ query: String) throws -> ConnectionsEndpoint.Document {
        let response = respond(server, query)
        try #require(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        return try JSONDecoder().decode(ConnectionsEndpoint.Document.self, from: Data(response.body))
    }
}
