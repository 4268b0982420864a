import Foundation
import Glibc
import Logging
import RingGateCodecs
import RingGateRuntime
import Testing

@testable import RingGateService

/// The new process's first answer in `ringgate upgrade`: it takes over only a layout it would have built
/// itself and a state schema it can read, and otherwise refuses with the reason before anything moves.
@Suite struct TakeoverSuccessorTests {
    static func hello(schema: UInt16 = TakeoverSnapshot.schemaVersion, fingerprint: [UInt8]) -> TakeoverMessage {
        .hello(
            TakeoverHello(
                schemaVersion: schema, oldestReadableSchema: min(schema, TakeoverSnapshot.oldestReadableSchema),
                pid: getpid(), shardCount: 2, listenerFingerprint: fingerprint, binaryVersion: "test"))
    }

    /// Runs the successor's handshake against `hello`; returns what it answered and whether it refused.
    static func answer(to hello: TakeoverMessage) throws -> (TakeoverMessage, refused: Bool) {
        let (old, new) = try HandoverChannel.pair()
        var configuration = ServiceConfiguration()
        configuration.gateway.shards = 2
        let gateway = try configuration.gatewayConfiguration()
        try old.send(hello.encoded())
        var refused = false
        do {
            _ = try TakeoverSuccessor(
                descriptor: dup(new.descriptor), configuration: configuration, gateway: gateway,
                logger: Logger(label: "t"))
        } catch is TakeoverSuccessor.Refusal {
            refused = true
        }
        let message = try old.receive(timeoutMilliseconds: 5_000)
        return (try TakeoverMessage(decoding: message.payload.span), refused)
    }

    static func ownFingerprint() throws -> [UInt8] {
        var configuration = ServiceConfiguration()
        configuration.gateway.shards = 2
        return TakeoverLayout.fingerprint(configuration, gateway: try configuration.gatewayConfiguration())
    }

    @Test func theSameLayoutIsAccepted() throws {
        let (answer, refused) = try Self.answer(to: Self.hello(fingerprint: try Self.ownFingerprint()))
        #expect(answer == .accept && !refused)
    }

    @Test func aNewerStateSchemaIsRefusedBeforeAnythingMoves() throws {
        let (answer, refused) = try Self.answer(to: Self.hello(schema: 99, fingerprint: try Self.ownFingerprint()))
        #expect(refused)
        guard case .refuse(let reason) = answer else {
            Issue.record("expected a refusal, got \(answer)")
            return
        }
        #expect(reason.contains("schema 99"))
    }

    @Test func aDifferentLayoutIsRefusedNamingTheDifference() throws {
        var fingerprint = try Self.ownFingerprint()
        fingerprint = Array(
            String(decoding: fingerprint, as: UTF8.self).replacingOccurrences(of: "shards=2", with: "shards=3").utf8)
        let (answer, refused) = try Self.answer(to: Self.hello(fingerprint: fingerprint))
        #expect(refused)
        guard case .refuse(let reason) = answer else {
            Issue.record("expected a refusal, got \(answer)")
            return
        }
        #expect(reason.contains("running shards=3, this binary shards=2"))
    }
}
