import Foundation
import RingGateCodecs
import Testing

/// docs/protocol.md's examples are test vectors: every fenced `gateway-packet`, `client-id`,
/// `query-reply` and `register-line` block is decoded and re-encoded here with the codecs, so the page
/// cannot drift from the code.
@Suite struct ProtocolDocumentationTests {
    /// One fenced block: its info string and `key: value` lines.
    struct Block: CustomTestStringConvertible, Sendable {
        var kind: String
        var fields: [String: String]
        var testDescription: String { "\(kind) \(fields["hex"] ?? fields["line"] ?? fields["client_id"] ?? "")" }
    }

    static let page: String = {
        let path = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/") + "/docs/protocol.md"
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }()

    static let blocks: [Block] = {
        var blocks: [Block] = []
        var current: Block?
        for line in page.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if let block = current {
                    blocks.append(block)
                    current = nil
                } else {
                    let kind = String(line.dropFirst(3))
                    if ["gateway-packet", "client-id", "query-reply", "register-line"].contains(kind) {
                        current = Block(kind: kind, fields: [:])
                    } else if !kind.isEmpty || current == nil {
                        current = Block(kind: "other", fields: [:])
                    }
                }
                continue
            }
            guard current != nil, current?.kind != "other", let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            current?.fields[key] = String(value)
        }
        return blocks.filter { $0.kind != "other" }
    }()

    static func blocks(_ kind: String) -> [Block] { blocks.filter { $0.kind == kind } }

    /// A quoted JSON string literal, as the page writes ext and body.
    static func quoted(_ text: String?) throws -> [UInt8] {
        let text = try #require(text)
        guard case .string(let value)? = JSONParser.parse(text) else {
            Issue.record("not a JSON string literal: \(text)")
            return []
        }
        return Array(value.utf8)
    }

    static func packed(_ text: String) -> [UInt8] { hex(text.filter { $0 != " " }) }

    @Test func thePageHasVectorsOfEveryKind() {
        #expect(Self.blocks("gateway-packet").count >= 10)
        #expect(Self.blocks("client-id").count >= 2)
        #expect(Self.blocks("query-reply").count >= 2)
        #expect(Self.blocks("register-line").count >= 6)
    }

    @Test(arguments: blocks("gateway-packet"))
    func packetVector(_ block: Block) throws {
        let wire = Self.packed(try #require(block.fields["hex"]))
        let captured =
            GatewaySeedVectors.all.map(\.wire)
            + [
                GatewayLabVectors.onConnect, GatewayLabVectors.onMessageHello, GatewayLabVectors.onCloseWithSession,
                GatewayLabVectors.ping,
            ].map(hex)
        #expect(captured.contains(wire), "not one of the captured vectors in GatewayTestVectors.swift")

        var assembler = GatewayPacketAssembler()
        assembler.append(wire)
        let packet = try #require(try assembler.nextPacket())
        #expect(assembler.bufferedByteCount == 0)
        let header = packet.header
        #expect(Int(header.packLength) == wire.count)
        #expect(header.command.rawValue == UInt8(try #require(block.fields["command"])))
        if let value = block.fields["connection_id"] { #expect(header.connectionID == UInt32(value)) }
        if let value = block.fields["flags"] { #expect(header.flags.rawValue == UInt8(value.dropFirst(2), radix: 16)) }
        if let value = block.fields["local_ip"] { #expect(header.localIP == GatewayIPv4.parse(value)) }
        if let value = block.fields["local_port"] { #expect(header.localPort == UInt16(value)) }
        if let value = block.fields["client_ip"] { #expect(header.clientIP == GatewayIPv4.parse(value)) }
        if let value = block.fields["client_port"] { #expect(header.clientPort == UInt16(value)) }
        if let value = block.fields["gateway_port"] { #expect(header.gatewayPort == UInt16(value)) }
        #expect(packet.extData == (try Self.quoted(block.fields["ext"])))
        #expect(packet.body == (try Self.quoted(block.fields["body"])))
        #expect(try packet.encoded() == wire)
    }

    @Test(arguments: blocks("client-id"))
    func clientIDVector(_ block: Block) throws {
        let text = try #require(block.fields["client_id"])
        let id = try #require(GatewayClientID(parsing: text))
        #expect(id.localIP == GatewayIPv4.parse(try #require(block.fields["local_ip"])))
        #expect(id.localPort == UInt16(try #require(block.fields["local_port"])))
        #expect(id.connectionID == UInt32(try #require(block.fields["connection_id"])))
        #expect(id.gatewayAddress == block.fields["gateway_address"])
        #expect(id.description == text)
        #expect(GatewayClientID(parsing: text.uppercased()) == id)
    }

    @Test(arguments: blocks("query-reply"))
    func replyVector(_ block: Block) throws {
        let payload = Array(try #require(block.fields["payload"]).utf8)
        #expect(GatewayReply.encoded(payload: payload) == Self.packed(try #require(block.fields["hex"])))
    }

    @Test(arguments: blocks("register-line"))
    func registerVector(_ block: Block) throws {
        let line = Array(try #require(block.fields["line"]).utf8)
        let decoded = RegisterMessage.decode(line: line)
        let kind: String =
            switch decoded {
            case .message: "message"
            case .unknownEvent: "unknown_event"
            case .invalidMessage: "invalid_message"
            case .badRequest: "bad_request"
            }
        #expect(kind == block.fields["decodes"])
        if block.fields["roundtrip"] == "yes" {
            guard case .message(let message) = decoded else { return }
            #expect(message.encodedJSON == line)
            #expect(message.encodedLine == line + [UInt8(ascii: "\n")])
        }
    }

    /// The parser finds a wrong field: a page whose hex disagrees with its command is noticed.
    @Test func aWrongVectorIsNoticed() throws {
        let wire = Self.packed("0000001c 0b 00000000 0000 00000000 0000 00000001 01 0000 00000000")
        var assembler = GatewayPacketAssembler()
        assembler.append(wire)
        let packet = try #require(try assembler.nextPacket())
        #expect(packet.header.command.rawValue != 12)
    }
}
