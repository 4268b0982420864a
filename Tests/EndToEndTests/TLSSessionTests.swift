import RingGateTLS
import TestSupport
import Testing

/// The TLS seam itself, in memory: sessions of one shard share one pipe, and what one session's output
/// makes the caller do (encrypt for another client) must not disturb the bytes being handed out.
@Suite(.serialized) struct TLSSessionTests {
    final class Pair {
        let server: TLSSession
        let client: TLSSession
        let clientPipe = TLSPipe()

        init(server serverContext: TLSContext, client clientContext: TLSContext, serverPipe: TLSPipe) throws {
            server = try #require(TLSSession(context: serverContext, pipe: serverPipe))
            client = try #require(TLSSession(context: clientContext, pipe: clientPipe, serverName: "localhost"))
            var toServer: [UInt8] = []
            _ = client.start(pipe: clientPipe) { toServer += Self.bytes($0) }
            for _ in 0..<4 where !(server.isHandshakeComplete && client.isHandshakeComplete) {
                var toClient: [UInt8] = []
                _ = server.receive(
                    toServer.span, pipe: serverPipe, output: { toClient += Self.bytes($0) }, handshakeCompleted: {},
                    plaintext: { _ in true })
                toServer = []
                _ = client.receive(
                    toClient.span, pipe: clientPipe, output: { toServer += Self.bytes($0) }, handshakeCompleted: {},
                    plaintext: { _ in true })
            }
            try #require(server.isHandshakeComplete && client.isHandshakeComplete)
        }

        static func bytes(_ span: Span<UInt8>) -> [UInt8] {
            var out: [UInt8] = []
            for index in 0..<span.count { out.append(span[index]) }
            return out
        }

        /// What the client makes of `records` from the server.
        func clientReads(_ records: [UInt8]) -> [UInt8] {
            var clear: [UInt8] = []
            _ = client.receive(
                records.span, pipe: clientPipe, output: { _ in }, handshakeCompleted: {},
                plaintext: { piece in
                    clear += Self.bytes(piece.span)
                    return true
                })
            return clear
        }
    }

    @Test func writingAnotherSessionFromInsideOutputKeepsBothStreamsIntact() throws {
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        let serverContext = try TLSContext(
            server: TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key))
        let clientContext = try TLSContext(clientTrusting: certificates.caPath)
        let shardPipe = TLSPipe()
        let first = try Pair(server: serverContext, client: clientContext, serverPipe: shardPipe)
        let second = try Pair(server: serverContext, client: clientContext, serverPipe: shardPipe)
        var toFirst: [UInt8] = []
        var toSecond: [UInt8] = []
        let written = first.server.write(Array("to the first".utf8).span, pipe: shardPipe) { records in
            toFirst += Pair.bytes(records)
            // A broadcast reacting to this output: the second client's records, written meanwhile.
            _ = second.server.write(Array("to the second".utf8).span, pipe: shardPipe) { toSecond += Pair.bytes($0) }
            toFirst += Pair.bytes(records)  // the first's span is still intact after the nested write
        }
        #expect(written)
        let half = toFirst.count / 2
        #expect(Array(toFirst[..<half]) == Array(toFirst[half...]))
        #expect(first.clientReads(Array(toFirst[..<half])) == Array("to the first".utf8))
        #expect(second.clientReads(toSecond) == Array("to the second".utf8))
    }
}
