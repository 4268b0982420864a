import Glibc
import RingGateRuntime
import TestSupport
import Testing

@testable import RingGate

/// Completions the connection table cannot place (no CQE order is known to produce them; a dropped
/// or duplicated completion would) are ignored with a counter, and the shard keeps serving.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct UnexpectedCompletionTests {
    @Test func strayCompletionsAreCountedNotFatal() throws {
        try withGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let client = try TestClient(port: server.port())
            try client.send("hello\n")
            #expect(try client.receive(exactly: 6) == Array("hello\n".utf8))
            server.onShard(0) { shard in
                let free: UInt32 = 900
                for kind in [OperationKind.receive, .send, .peerName, .shutdown, .cancel, .close] {
                    shard.completed(Completion(tag: CompletionTag(kind: kind, slot: free), result: 5, flags: 0))
                }
                // A second send completion for the open client, which has no send in flight.
                let busy = UInt32(shard.connections.firstIndex { $0.lifecycle != nil }!)
                let generation = shard.connections[Int(busy)].generation
                shard.completed(
                    Completion(tag: CompletionTag(kind: .send, generation: generation, slot: busy), result: 5, flags: 0)
                )
            }
            #expect(server.reports().reduce(0) { $0 + $1.counters.unexpectedCompletions } == 7)
            try client.send("still\n")
            #expect(try client.receive(exactly: 6) == Array("still\n".utf8))
        }
    }
}
