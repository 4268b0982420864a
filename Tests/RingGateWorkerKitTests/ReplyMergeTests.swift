import RingGateCodecs
import Testing

@testable import RingGateWorkerKit

/// Query replies merged the way PHP's `Lib\Gateway` merges them, without sockets.
@Suite struct ReplyMergeTests {
    let a = IPv4Endpoint(ip: 0x7F00_0001, port: 2900)
    let b = IPv4Endpoint(ip: 0x7F00_0001, port: 2901)
    let c = IPv4Endpoint(ip: 0x0A00_0001, port: 2900)

    private func id(_ endpoint: IPv4Endpoint, _ connectionID: UInt32) -> GatewayClientID {
        GatewayClientID(localIP: endpoint.ip, localPort: endpoint.port, connectionID: connectionID)
    }

    @Test func repliesAreOrderedByIPThenPortLikePHPsNestedArray() {
        let replies = GatewayReplies([(a, utf8("i:1;")), (c, utf8("i:2;")), (b, utf8("i:3;"))])
        #expect(replies.entries.map(\.endpoint) == [a, b, c])
        #expect(replies.count() == 6)
    }

    @Test func sessionsDecodeEachStringAndKeepOrder() {
        let aReply = utf8(#"a:2:{i:1;s:43:"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}";i:3;s:0:"";}"#)
        let cReply = utf8(#"a:1:{i:2;s:17:"38936001950781440";}"#)
        let sessions = GatewayReplies([(c, cReply), (a, aReply)]).sessions()
        #expect(
            sessions == [
                ClientSession(clientID: id(c, 2), session: nil),
                ClientSession(clientID: id(a, 1), session: ["name": "alice", "age": 5]),
                ClientSession(clientID: id(a, 3), session: PHPArray()),
            ])
    }

    @Test func selectHelpers() {
        let aReply = utf8(
            #"a:3:{i:1;a:2:{s:3:"uid";s:2:"u1";s:6:"groups";a:1:{s:1:"g";s:1:"g";}}i:2;a:2:{s:3:"uid";N;s:6:"groups";N;}i:3;a:2:{s:3:"uid";s:2:"u2";s:6:"groups";a:1:{i:7;s:1:"7";}}}"#
        )
        let bReply = utf8(#"a:1:{i:4;a:2:{s:3:"uid";s:2:"u1";s:6:"groups";a:1:{s:1:"g";s:1:"g";}}}"#)
        let replies = GatewayReplies([(a, aReply), (b, bReply), (c, utf8("garbage"))])
        #expect(replies.selectedClientIDs() == [id(a, 1), id(a, 2), id(a, 3), id(b, 4)])
        #expect(replies.selectedUIDs() == ["u1", "u2"])
        #expect(replies.firstUID() == "u1")
        // PHP's break: gateway a's scan stops at client 2 (no uid), so u2/group 7 are never seen.
        #expect(replies.groupUIDs().map(\.group) == ["g"])
        #expect(replies.groupUIDs().first?.uids == ["u1"])
        #expect(replies.groupClientIDs().first?.clientIDs == [id(a, 1), id(b, 4)])
        #expect(replies.selectedRows().count == 4)
    }

    @Test func listsBatchesAndGroupIds() {
        let clientIDs = GatewayReplies([(a, utf8("a:2:{i:0;i:3;i:1;i:4;}")), (b, utf8("a:0:{}"))]).clientIDLists()
        #expect(clientIDs == [id(a, 3), id(a, 4)])
        let batch = GatewayReplies([
            (a, utf8(#"a:2:{i:39069102337167360;a:1:{i:0;i:1;}s:3:"abc";a:0:{}}"#)),
            (b, utf8(#"a:1:{i:39069102337167360;a:1:{i:0;i:9;}}"#)),
        ]).batchClientIDs()
        #expect(batch.map(\.key) == ["39069102337167360", "abc"])
        #expect(batch.first?.clientIDs == [id(a, 1), id(b, 9)])
        let counts = GatewayReplies([
            (a, utf8(#"a:2:{i:54248935702663168;i:1;s:6:"room-a";i:1;}"#)), (b, utf8(#"a:1:{s:6:"room-a";i:2;}"#)),
        ]).batchCounts()
        #expect(counts.map(\.key) == ["54248935702663168", "room-a"])
        #expect(counts.map(\.count) == [1, 3])
        let groups = GatewayReplies([
            (a, utf8(#"a:2:{i:0;i:54248935702663168;i:1;s:6:"room-a";}"#)), (b, utf8(#"a:1:{i:0;s:6:"room-a";}"#)),
        ]).groupIDs()
        #expect(groups == ["54248935702663168", "room-a"])
    }

    @Test func endpointParsingIsStrict() {
        #expect(IPv4Endpoint(parsing: "127.0.0.1:2900") == a)
        #expect(IPv4Endpoint(parsing: "127.0.0.1:2900")?.description == "127.0.0.1:2900")
        for bad in ["localhost:2900", "127.0.0.1:02900", "127.0.0.1:0", "127.0.0.1", "127.0.0.1:65536", "::1:2900"] {
            #expect(IPv4Endpoint(parsing: bad) == nil, "\(bad)")
        }
        #expect(IPv4Endpoint(labClient(7)) == labGateway)
    }
}
