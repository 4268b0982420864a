import RingGateCodecs
import Testing

/// The CMD_ON_WEBSOCKET_CONNECT body (spec §4.2) in both flavours. Besides the two §10.2 captures,
/// every expected body was produced by the PHP code itself (workerman 4.2.1's `parseHttpHeader`, and
/// workerman 5.2.2's `Request` with GatewayWorker's array building, on PHP 8.2.36) for the same head.
@Suite struct WebSocketConnectInfoTests {
    /// The §10.2 lab request with the capture's `Sec-WebSocket-Key`.
    static func labRequest(key: String) -> [UInt8] {
        Array(
            ("GET /chat?token=abc&x[]=1&x[]=2 HTTP/1.1\r\nHost: 127.0.0.1:8282\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
                + "Cookie: sid=xyz; lang=zh%20CN\r\nX-Forwarded-For: 10.1.2.3\r\n\r\n").utf8
        )
    }

    static func info(_ head: String, _ flavour: WebSocketHandshake.Flavour) -> WebSocketConnectInfo {
        info(Array(head.utf8), flavour)
    }

    static func info(_ head: [UInt8], _ flavour: WebSocketHandshake.Flavour) -> WebSocketConnectInfo {
        WebSocketConnectInfo(
            head: head.span, flavour: flavour, remoteAddress: "127.0.0.1", remotePort: 46568, serverPort: 8282)
    }

    static func body(_ head: String, _ flavour: WebSocketHandshake.Flavour) -> String {
        String(decoding: info(head, flavour).serialized(), as: UTF8.self)
    }

    @Test func labCaptureWorkerman4() {
        let head = Self.labRequest(key: "R+NprMkZ59pF3VhR3uRmlQ==")
        let body = WebSocketConnectInfo.serializedBody(
            head: head.span, flavour: .workerman4, remoteAddress: "127.0.0.1", remotePort: 44900, serverPort: 8282)
        #expect(body == GatewayLabVectors.webSocketConnectBodyV4)
        #expect(body.count == 0x2E1 - GatewayHeader.byteCount)  // pack_len of the captured header
    }

    @Test func labCaptureWorkerman5() {
        let head = Self.labRequest(key: "/2/CQlzWouMp8Iz0K4zjWw==")
        let body = WebSocketConnectInfo.serializedBody(
            head: head.span, flavour: .workerman5, remoteAddress: "127.0.0.1", remotePort: 46568, serverPort: 8282)
        #expect(body == GatewayLabVectors.webSocketConnectBodyV5)
    }

    @Test(arguments: [WebSocketHandshake.Flavour.workerman4, .workerman5])
    func labCaptureFields(_ flavour: WebSocketHandshake.Flavour) {
        let info = Self.info(Self.labRequest(key: "k"), flavour)
        #expect(info.get == ["token": "abc", "x": ["1", "2"]])
        #expect(info.server["HTTP_X_FORWARDED_FOR"] == "10.1.2.3")
        #expect(info.cookie == ["sid": "xyz", "lang": flavour == .workerman4 ? "zh CN" : "zh%20CN"])
        #expect(info.array.keys == ["get", "server", "cookie"])
    }

    @Test func bytesAfterTheHeadAreIgnored() {
        let head = Self.labRequest(key: "k")
        let withFrame = head + [0x81, 0x82, 1, 2, 3, 4, 0x0D, 0x0A, 0x0D, 0x0A]
        for flavour in [WebSocketHandshake.Flavour.workerman4, .workerman5] {
            #expect(Self.info(withFrame, flavour) == Self.info(head, flavour))
        }
        // Without any `\r\n\r\n` the whole input is the head.
        #expect(Self.info("GET /?a=1 HTTP/1.1", .workerman4) == Self.info("GET /?a=1 HTTP/1.1\r\n\r\n", .workerman4))
    }

    @Test func cookies() {
        let head = "GET / HTTP/1.1\r\nCookie: a=1; b=%20x; c=y+z; d[]=1; d[]=2;e=3; f; =g; 5=h\r\n\r\n"
        // Workerman 4: `"; "` → `&`, then parse_str (decoded; `;` without a space stays in the value).
        #expect(
            Self.info(head, .workerman4).cookie == [
                "a": "1", "b": " x", "c": "y z", "d": ["1", "2;e=3"], "f": "", 5: "h",
            ])
        // Workerman 5: split on `;` and the first `=`, names trimmed, values as sent, no `=` dropped.
        #expect(
            Self.info(head, .workerman5).cookie == [
                "a": "1", "b": "%20x", "c": "y+z", "d[]": "2", "e": "3", "": "g", 5: "h",
            ])
        #expect(Self.info("GET / HTTP/1.1\r\n\r\n", .workerman4).cookie.isEmpty)
        #expect(Self.info("GET / HTTP/1.1\r\n\r\n", .workerman5).cookie.isEmpty)
    }

    /// Repeated headers: workerman 4 overwrites in place (a second `Host` without a port keeps the
    /// first one's `SERVER_PORT`; the last `Cookie` wins); workerman 5 joins repeats with `,`.
    @Test func duplicateHeaders() {
        let head =
            "GET /?a=1 HTTP/1.1\r\nX-A: 1\r\nHost: a.test:81\r\nx-a: 2\r\nX_A: 3\r\nHost: b.test\r\nCookie: k=1\r\n"
            + "cookie: k=2; j=%41\r\n\r\n"
        #expect(
            Self.body(head, .workerman4)
                == #"a:3:{s:3:"get";a:1:{s:1:"a";s:1:"1";}s:6:"server";a:9:{s:14:"REQUEST_METHOD";s:3:"GET";s:11:"REQUEST_URI";s:5:"/?a=1";s:15:"SERVER_PROTOCOL";s:8:"HTTP/1.1";s:8:"HTTP_X_A";s:1:"3";s:9:"HTTP_HOST";s:6:"b.test";s:11:"SERVER_NAME";s:6:"b.test";s:11:"SERVER_PORT";s:2:"81";s:11:"HTTP_COOKIE";s:10:"k=2; j=%41";s:12:"QUERY_STRING";s:3:"a=1";}s:6:"cookie";a:2:{s:1:"k";s:1:"2";s:1:"j";s:1:"A";}}"#
        )
        #expect(
            Self.body(head, .workerman5)
                == #"a:3:{s:3:"get";a:1:{s:1:"a";s:1:"1";}s:6:"server";a:12:{s:12:"QUERY_STRING";s:3:"a=1";s:14:"REQUEST_METHOD";s:3:"GET";s:11:"REQUEST_URI";s:5:"/?a=1";s:15:"SERVER_PROTOCOL";s:8:"HTTP/1.1";s:11:"SERVER_NAME";s:16:"a.test:81,b.test";s:12:"CONTENT_TYPE";N;s:11:"REMOTE_ADDR";s:9:"127.0.0.1";s:11:"REMOTE_PORT";i:46568;s:11:"SERVER_PORT";i:8282;s:8:"HTTP_X_A";s:1:"3";s:9:"HTTP_HOST";s:16:"a.test:81,b.test";s:11:"HTTP_COOKIE";s:14:"k=1,k=2; j=%41";}s:6:"cookie";a:2:{s:1:"k";s:5:"1,k=2";s:1:"j";s:3:"%41";}}"#
        )
    }

    @Test func noHostHeader() {
        let head = "GET /x HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"
        let v4 = Self.info(head, .workerman4)
        #expect(v4.server.keys == ["REQUEST_METHOD", "REQUEST_URI", "SERVER_PROTOCOL", "HTTP_UPGRADE", "QUERY_STRING"])
        #expect(v4.server["QUERY_STRING"] == "")
        let v5 = Self.info(head, .workerman5)
        #expect(v5.server["SERVER_NAME"] == .null && v5.server["CONTENT_TYPE"] == .null)
        #expect(
            Self.body(head, .workerman5)
                == #"a:3:{s:3:"get";a:0:{}s:6:"server";a:10:{s:12:"QUERY_STRING";s:0:"";s:14:"REQUEST_METHOD";s:3:"GET";s:11:"REQUEST_URI";s:2:"/x";s:15:"SERVER_PROTOCOL";s:8:"HTTP/1.1";s:11:"SERVER_NAME";N;s:12:"CONTENT_TYPE";N;s:11:"REMOTE_ADDR";s:9:"127.0.0.1";s:11:"REMOTE_PORT";i:46568;s:11:"SERVER_PORT";i:8282;s:12:"HTTP_UPGRADE";s:9:"websocket";}s:6:"cookie";a:0:{}}"#
        )
    }

    /// Workerman 4 splits Host on every `:`, so an IPv6 literal yields `[` and an empty port;
    /// workerman 5 reports the Host value whole.
    @Test func ipv6Host() {
        let head = "GET / HTTP/1.1\r\nHost: [::1]:8282\r\nContent-Type: text/plain\r\n\r\n"
        let v4 = Self.info(head, .workerman4)
        #expect(v4.server["HTTP_HOST"] == "[::1]:8282")
        #expect(v4.server["SERVER_NAME"] == "[" && v4.server["SERVER_PORT"] == "")
        let v5 = WebSocketConnectInfo(
            head: Array(head.utf8).span, flavour: .workerman5, remoteAddress: "::1", remotePort: 50000, serverPort: 8282
        )
        #expect(v5.server["SERVER_NAME"] == "[::1]:8282" && v5.server["CONTENT_TYPE"] == "text/plain")
        #expect(
            v5.server["REMOTE_ADDR"] == "::1" && v5.server["REMOTE_PORT"] == 50000 && v5.server["SERVER_PORT"] == 8282)
    }

    @Test func hostWithoutPort() {
        let v4 = Self.info("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", .workerman4)
        #expect(v4.server["SERVER_NAME"] == "example.com" && v4.server["SERVER_PORT"] == nil)
        #expect(v4.server.keys.last == "QUERY_STRING")
    }

    /// Odd lines: workerman 4 keeps a line without `:` (value `""`), skips a line `0`, does not trim
    /// names and trims values of NUL and vertical tab too; workerman 5 drops lines without `:` and
    /// trims only spaces and tabs. A request line without a target or version gives nulls (4) or
    /// `/` and `HTTP/1.0` (5).
    @Test func oddLines() {
        let head = "GET\r\n0\r\nFoo\r\nHost : x\r\nX-T:\t\u{0B} v \u{00}\r\n\r\n"
        #expect(
            Self.body(head, .workerman4)
                == #"a:3:{s:3:"get";a:0:{}s:6:"server";a:7:{s:14:"REQUEST_METHOD";s:3:"GET";s:11:"REQUEST_URI";N;s:15:"SERVER_PROTOCOL";N;s:8:"HTTP_FOO";s:0:"";s:10:"HTTP_HOST ";s:1:"x";s:8:"HTTP_X_T";s:1:"v";s:12:"QUERY_STRING";s:0:"";}s:6:"cookie";a:0:{}}"#
        )
        #expect(
            Self.body(head, .workerman5)
                == "a:3:{s:3:\"get\";a:0:{}s:6:\"server\";a:11:{s:12:\"QUERY_STRING\";s:0:\"\";s:14:\"REQUEST_METHOD\";s:3:\"GET\";s:11:\"REQUEST_URI\";s:1:\"/\";s:15:\"SERVER_PROTOCOL\";s:8:\"HTTP/1.0\";s:11:\"SERVER_NAME\";N;s:12:\"CONTENT_TYPE\";N;s:11:\"REMOTE_ADDR\";s:9:\"127.0.0.1\";s:11:\"REMOTE_PORT\";i:46568;s:11:\"SERVER_PORT\";i:8282;s:10:\"HTTP_HOST \";s:1:\"x\";s:8:\"HTTP_X_T\";s:5:\"\u{0B} v \u{00}\";}s:6:\"cookie\";a:0:{}}"
        )
    }

    /// `?0`: workerman 4 treats the falsy query as none; workerman 5 parses it (`[0 => ""]`).
    @Test func falsyQuery() {
        let head = "GET /?0 HTTP/1.1\r\n\r\n"
        let v4 = Self.info(head, .workerman4)
        #expect(v4.server["QUERY_STRING"] == "" && v4.get.isEmpty)
        let v5 = Self.info(head, .workerman5)
        #expect(v5.server["QUERY_STRING"] == "0" && v5.get == [0: ""])
    }

    /// PHP strings are bytes: nothing is repaired into UTF-8.
    @Test func nonUTF8BytesPassThrough() {
        let head = Array("GET /?n=%FF\u{FF} HTTP/1.1\r\nX-Name: ".utf8) + [0xC3, 0x28] + Array("\r\n\r\n".utf8)
        for flavour in [WebSocketHandshake.Flavour.workerman4, .workerman5] {
            let info = Self.info(head, flavour)
            #expect(info.server["HTTP_X_NAME"] == .string([0xC3, 0x28]))
            #expect(info.get == ["n": .string([0xFF, 0xC3, 0xBF])])
        }
    }

    @Test func queryThatPHPCannotParse() {
        // parse_url returns false for a "port" without a host: no QUERY_STRING and no get.
        for flavour in [WebSocketHandshake.Flavour.workerman4, .workerman5] {
            let info = Self.info("GET /a:80/b?x=1 HTTP/1.1\r\n\r\n", flavour)
            #expect(info.server["QUERY_STRING"] == "" && info.get.isEmpty)
        }
    }
}
