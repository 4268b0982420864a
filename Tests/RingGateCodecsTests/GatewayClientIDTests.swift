import RingGateCodecs
import Testing

@Suite struct GatewayClientIDTests {
    @Test func encodesTheSpecExamples() {
        let first = GatewayClientID(localIP: 0x7F00_0001, localPort: 2900, connectionID: 1)
        #expect(first.description == "7f0000010b5400000001")
        #expect(first.gatewayAddress == "127.0.0.1:2900")
        let second = GatewayClientID(localIP: 0xC0A8_010A, localPort: 2901, connectionID: 4_294_967_295)
        #expect(second.description == "c0a8010a0b55ffffffff")
        #expect(second.gatewayAddress == "192.168.1.10:2901")
        var buffer = utf8("x")
        second.encode(into: &buffer)
        #expect(buffer == utf8("xc0a8010a0b55ffffffff"))
    }

    @Test func parsesCaseInsensitivelyAndExactly() {
        let id = GatewayClientID(localIP: 0xC0A8_010A, localPort: 2901, connectionID: 4_294_967_295)
        #expect(GatewayClientID(parsing: "c0a8010a0b55ffffffff") == id)
        #expect(GatewayClientID(parsing: "C0A8010A0B55FFFFFFFF") == id)
        #expect(
            GatewayClientID(parsing: "00000000000000000000")
                == GatewayClientID(localIP: 0, localPort: 0, connectionID: 0))
        for bad in ["", "c0a8010a0b55fffffff", "c0a8010a0b55ffffffff0", "g0a8010a0b55ffffffff", " 0a8010a0b55ffffffff"]
        {
            #expect(GatewayClientID(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func formatsDottedQuadsLikeLong2ip() {
        #expect(GatewayIPv4.dottedQuad(0) == "0.0.0.0")
        #expect(GatewayIPv4.dottedQuad(0x7F00_0001) == "127.0.0.1")
        #expect(GatewayIPv4.dottedQuad(0x0A00_0001) == "10.0.0.1")
        #expect(GatewayIPv4.dottedQuad(UInt32.max) == "255.255.255.255")
    }

    @Test func parsesDottedQuadsStrictly() {
        #expect(GatewayIPv4.parse("127.0.0.1") == 0x7F00_0001)
        #expect(GatewayIPv4.parse("0.0.0.0") == 0)
        #expect(GatewayIPv4.parse("255.255.255.255") == UInt32.max)
        #expect(GatewayIPv4.parse("192.168.1.10") == 0xC0A8_010A)
        for bad in [
            "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1..2.3", "1.2.3.", ".1.2.3", " 1.2.3.4", "a.b.c.d",
            "1.2.3.4 ", "localhost", "1.2.3.1000",
        ] {
            #expect(GatewayIPv4.parse(bad) == nil, "\(bad)")
        }
        for value: UInt32 in [1, 0x0102_0304, 0xFFFF_FF00, 0x8000_0000] {
            #expect(GatewayIPv4.parse(GatewayIPv4.dottedQuad(value)) == value)
        }
    }
}
