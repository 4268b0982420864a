import RingGateRuntime
import Testing

@testable import RingGate

struct ListenerConfigurationTests {
    @Test func workermanURLs() throws {
        let webSocket = try ListenerConfiguration(url: "websocket://0.0.0.0:8282")
        #expect(webSocket.framing.scheme == "websocket")
        #expect(webSocket.address == .ipv4(address: 0, port: 8282))
        #expect(try ListenerConfiguration(url: "text://127.0.0.1:1").framing.scheme == "text")
        #expect(try ListenerConfiguration(url: "frame://127.0.0.1:2").framing.scheme == "frame")
        #expect(try ListenerConfiguration(url: "tcp://[::1]:3").address.port == 3)
    }

    @Test func errorsSayWhatToWrite() {
        #expect(throws: ConfigurationError.self) { try ListenerConfiguration(url: "0.0.0.0:8282") }
        #expect(throws: ConfigurationError.self) { try ListenerConfiguration(url: "http://0.0.0.0:80") }
        #expect(throws: ConfigurationError.self) { try ListenerConfiguration(url: "text://localhost:80") }
        #expect(throws: ConfigurationError.self) { try ListenerConfiguration(url: "text://1.2.3.4:99999") }
    }

    /// The README reports this figure: one 64-byte cache line per connection record.
    /// 56 bytes before the per-connection traffic figures (issue 16), 72 with them.
    @Test func clientConnectionRecordIs72Bytes() {
        #expect(MemoryLayout<ClientConnection>.stride == 72)
    }
}
