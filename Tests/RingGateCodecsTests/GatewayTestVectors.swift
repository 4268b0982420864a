import RingGateCodecs
import Testing

/// Bytes of ASCII/UTF-8 text.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

/// One captured packet of seed 000 with the fields spec §10.1 lists for it.
struct SeedVector: CustomTestStringConvertible, Sendable {
    var name: String
    var hex: String
    var packLength: UInt32
    var command: UInt8
    var connectionID: UInt32
    var flags: UInt8
    var extLength: UInt32
    var extData: [UInt8]
    var body: [UInt8]

    var wire: [UInt8] { RingGateCodecsTests.hex(hex) }
    var testDescription: String { name }
}

/// Spec §10.1: every captured packet of seed 000 (worker / GatewayClient → gateway).
enum GatewaySeedVectors {
    static let all: [SeedVector] = [
        SeedVector(
            name: "V01",
            hex: "0000002d0c00000000000000000000000000000001010000000000113339303639313032333337313637333630",
            packLength: 45, command: 12, connectionID: 1, flags: 0x01, extLength: 17,
            extData: Array("39069102337167360".utf8), body: []),
        SeedVector(
            name: "V02",
            hex: "0000002d0c00000000000000000000000000000002010000000000113339303639313032333337313637333630",
            packLength: 45, command: 12, connectionID: 2, flags: 0x01, extLength: 17,
            extData: Array("39069102337167360".utf8), body: []),
        SeedVector(
            name: "V03",
            hex:
                "0000003f050000000000000000000000000000000101000000000000fffe000000000023000000000000000100010101ab564ace4d51b232d051029226b500",
            packLength: 63, command: 5, connectionID: 1, flags: 0x01, extLength: 0,
            extData: [], body: hex("fffe000000000023000000000000000100010101ab564ace4d51b232d051029226b500")),
        SeedVector(
            name: "V04",
            hex:
                "000000570e00000000000000000000000000000000010000000000155b223339303639313032333337313637333630225d7b22636d64223a32332c2264617461223a22303838306130383039383831656539393632227d",
            packLength: 87, command: 14, connectionID: 0, flags: 0x01, extLength: 21,
            extData: Array("[\"39069102337167360\"]".utf8),
            body: Array("{\"cmd\":23,\"data\":\"0880a0809881ee9962\"}".utf8)),
        SeedVector(
            name: "V05",
            hex: "0000002d1400000000000000000000000000000001010000000000113534323438393335373032363633313638",
            packLength: 45, command: 20, connectionID: 1, flags: 0x01, extLength: 17,
            extData: Array("54248935702663168".utf8), body: []),
        SeedVector(
            name: "V06",
            hex: "0000002d1400000000000000000000000000000002010000000000113338393336303031393530373831343430",
            packLength: 45, command: 20, connectionID: 2, flags: 0x01, extLength: 17,
            extData: Array("38936001950781440".utf8), body: []),
        SeedVector(
            name: "V07",
            hex:
                "0000008a16000000000000000000000000000000000100000000002e7b226578636c756465223a6e756c6c2c2267726f7570223a5b223534323438393335373032363633313638225d7d7b22636d64223a31372c2264617461223a223061313430383830613038306638633363653837353631303830613038306238656161656336363831383031227d",
            packLength: 138, command: 22, connectionID: 0, flags: 0x01, extLength: 46,
            extData: Array("{\"exclude\":null,\"group\":[\"54248935702663168\"]}".utf8),
            body: Array("{\"cmd\":17,\"data\":\"0a140880a080f8c3ce87561080a080b8eaaec6681801\"}".utf8)),
        SeedVector(
            name: "V08",
            hex:
                "0000008a16000000000000000000000000000000000100000000002e7b226578636c756465223a6e756c6c2c2267726f7570223a5b223338393336303031393530373831343430225d7d7b22636d64223a31372c2264617461223a223061313430383830613038306638633363653837353631303830613038306238656161656336363831383031227d",
            packLength: 138, command: 22, connectionID: 0, flags: 0x01, extLength: 46,
            extData: Array("{\"exclude\":null,\"group\":[\"38936001950781440\"]}".utf8),
            body: Array("{\"cmd\":17,\"data\":\"0a140880a080f8c3ce87561080a080b8eaaec6681801\"}".utf8)),
        SeedVector(
            name: "V09",
            hex: "0000002d0f00000000000000000000000000000000010000000000113339303639313032333337313637333630",
            packLength: 45, command: 15, connectionID: 0, flags: 0x01, extLength: 17,
            extData: Array("39069102337167360".utf8), body: []),
        SeedVector(
            name: "V10", hex: "0000001c1a0000000000000000000000000000000001000000000000",
            packLength: 28, command: 26, connectionID: 0, flags: 0x01, extLength: 0,
            extData: [], body: []),
        SeedVector(
            name: "V11",
            hex: "0000002d1800000000000000000000000000000000000000000000113338393336303031393530373831343430",
            packLength: 45, command: 24, connectionID: 0, flags: 0x00, extLength: 17,
            extData: Array("38936001950781440".utf8), body: []),
        SeedVector(
            name: "V12",
            hex: "0000002d1700000000000000000000000000000000010000000000113338393336303031393530373831343430",
            packLength: 45, command: 23, connectionID: 0, flags: 0x01, extLength: 17,
            extData: Array("38936001950781440".utf8), body: []),
        SeedVector(
            name: "V13",
            hex: "0000002dcc00000000000000000000000000000001010000000000113338393336303031393530373831343430",
            packLength: 45, command: 204, connectionID: 1, flags: 0x01, extLength: 17,
            extData: Array("38936001950781440".utf8), body: []),
        SeedVector(
            name: "V14", hex: "0000001ccc0000000000000000000000000000000101000000000000",
            packLength: 28, command: 204, connectionID: 1, flags: 0x01, extLength: 0,
            extData: [], body: []),
        SeedVector(
            name: "V15",
            hex: "0000002d1500000000000000000000000000000002010000000000113338393336303031393530373831343430",
            packLength: 45, command: 21, connectionID: 2, flags: 0x01, extLength: 17,
            extData: Array("38936001950781440".utf8), body: []),
        SeedVector(
            name: "V16",
            hex: "0000002d1500000000000000000000000000000001010000000000113534323438393335373032363633313638",
            packLength: 45, command: 21, connectionID: 1, flags: 0x01, extLength: 17,
            extData: Array("54248935702663168".utf8), body: []),
        SeedVector(
            name: "V17", hex: "0000001c0b0000000000000000000000000000000101000000000000",
            packLength: 28, command: 11, connectionID: 1, flags: 0x01, extLength: 0,
            extData: [], body: []),
        SeedVector(
            name: "V18", hex: "0000001d07000000000000000000000000000000010100000000000133",
            packLength: 29, command: 7, connectionID: 1, flags: 0x01, extLength: 1,
            extData: Array("3".utf8), body: []),
        SeedVector(
            name: "V19", hex: "0000001c080000000000000000000000000000000201000000000000",
            packLength: 28, command: 8, connectionID: 2, flags: 0x01, extLength: 0,
            extData: [], body: []),
        SeedVector(
            name: "V20",
            hex:
                "000000731900000000000000000000000000000000010000000000577b226669656c6473223a5b22756964225d2c227768657265223a7b22756964223a5b5d2c22636f6e6e656374696f6e5f6964223a7b7d2c2267726f757073223a5b223534323438393335373032363633313638225d7d7d",
            packLength: 115, command: 25, connectionID: 0, flags: 0x01, extLength: 87,
            extData: Array(
                "{\"fields\":[\"uid\"],\"where\":{\"uid\":[],\"connection_id\":{},\"groups\":[\"54248935702663168\"]}}"
                    .utf8), body: []),
        SeedVector(
            name: "V21",
            hex:
                "000000501900000000000000000000000000000000010000000000347b226669656c6473223a5b22756964225d2c227768657265223a7b22636f6e6e656374696f6e5f6964223a7b2234223a347d7d7d",
            packLength: 80, command: 25, connectionID: 0, flags: 0x01, extLength: 52,
            extData: Array("{\"fields\":[\"uid\"],\"where\":{\"connection_id\":{\"4\":4}}}".utf8), body: []),
        SeedVector(
            name: "V22",
            hex: "0000002d0c00000000000000000000000000000001010000000000113632323035353535343535383233383732",
            packLength: 45, command: 12, connectionID: 1, flags: 0x01, extLength: 17,
            extData: Array("62205555455823872".utf8), body: []),
        SeedVector(
            name: "V23",
            hex: "0000002d0c00000000000000000000000000000100010000000000113632323035353535343535383233383732",
            packLength: 45, command: 12, connectionID: 256, flags: 0x01, extLength: 17,
            extData: Array("62205555455823872".utf8), body: []),
        SeedVector(
            name: "V24",
            hex: "0000002e140000000000000000000000000000000101000000000012313232363931353936313839313731373132",
            packLength: 46, command: 20, connectionID: 1, flags: 0x01, extLength: 18,
            extData: Array("122691596189171712".utf8), body: []),
        SeedVector(
            name: "V25",
            hex: "0000002e140000000000000000000000000000010001000000000012313232363931353936313839313731373132",
            packLength: 46, command: 20, connectionID: 256, flags: 0x01, extLength: 18,
            extData: Array("122691596189171712".utf8), body: []),
        SeedVector(
            name: "V26",
            hex:
                "000000a8cc000000000000000000000000000001000100000000008c613a343a7b733a323a226f73223b733a333a22696f73223b733a373a2276657273696f6e223b733a353a22312e322e30223b733a31323a226275696c645f6e756d626572223b733a323a223537223b733a393a226465766963655f6964223b733a33363a2246324533374144362d383038362d344531392d414534422d334635353343453041364135223b7d",
            packLength: 168, command: 204, connectionID: 256, flags: 0x01, extLength: 140,
            extData: Array(
                "a:4:{s:2:\"os\";s:3:\"ios\";s:7:\"version\";s:5:\"1.2.0\";s:12:\"build_number\";s:2:\"57\";s:9:\"device_id\";s:36:\"F2E37AD6-8086-4E19-AE4B-3F553CE0A6A5\";}"
                    .utf8), body: []),
        SeedVector(
            name: "V27",
            hex: "0000002e180000000000000000000000000000000001000000000012313232363931353936313839313731373132",
            packLength: 46, command: 24, connectionID: 0, flags: 0x01, extLength: 18,
            extData: Array("122691596189171712".utf8), body: []),
        SeedVector(
            name: "V28", hex: "0000001c180000000000000000000000000000000001000000000000",
            packLength: 28, command: 24, connectionID: 0, flags: 0x01, extLength: 0,
            extData: [], body: []),
        SeedVector(
            name: "V29", hex: "0000001c0a0000000000000000000000000000000001000000000000",
            packLength: 28, command: 10, connectionID: 0, flags: 0x01, extLength: 0,
            extData: [], body: []),
        SeedVector(
            name: "V30",
            hex: "0000002e170000000000000000000000000000000001000000000012313232363931353936313839313731373132",
            packLength: 46, command: 23, connectionID: 0, flags: 0x01, extLength: 18,
            extData: Array("122691596189171712".utf8), body: []),
        SeedVector(
            name: "V31",
            hex: "0000002d0f00000000000000000000000000000000010000000000113632323035353535343535383233383732",
            packLength: 45, command: 15, connectionID: 0, flags: 0x01, extLength: 17,
            extData: Array("62205555455823872".utf8), body: []),
        SeedVector(
            name: "V32",
            hex:
                "000000451000000000000000000000000000000000010000000000295b223632323035353535343535383233383732222c223632323035353535343535383233383733225d",
            packLength: 69, command: 16, connectionID: 0, flags: 0x01, extLength: 41,
            extData: Array("[\"62205555455823872\",\"62205555455823873\"]".utf8), body: []),
        SeedVector(
            name: "V33", hex: "0000001ccb0000000000000000000000000000020001000000000000",
            packLength: 28, command: 203, connectionID: 512, flags: 0x01, extLength: 0,
            extData: [], body: []),
        SeedVector(
            name: "V34",
            hex: "0000002e060000000000000000000000000000000001000000000000e58f91e98081e58685e5aeb9e983a8e58886",
            packLength: 46, command: 6, connectionID: 0, flags: 0x01, extLength: 0,
            extData: [], body: Array("发送内容部分".utf8)),
        SeedVector(
            name: "V35",
            hex: "0000002e050000000000000000000000000000000101000000000000e58f91e98081e58685e5aeb9e983a8e58886",
            packLength: 46, command: 5, connectionID: 1, flags: 0x01, extLength: 0,
            extData: [], body: Array("发送内容部分".utf8)),
        SeedVector(
            name: "V36",
            hex: "0000002e050000000000000000000000000000010001000000000000e58f91e98081e58685e5aeb9e983a8e58886",
            packLength: 46, command: 5, connectionID: 256, flags: 0x01, extLength: 0,
            extData: [], body: Array("发送内容部分".utf8)),
        SeedVector(
            name: "V37",
            hex:
                "0000005d16000000000000000000000000000000000100000000002f7b2267726f7570223a5b22313232363931353936313839313731373132225d2c226578636c756465223a6e756c6c7de58f91e98081e58685e5aeb9e983a8e58886",
            packLength: 93, command: 22, connectionID: 0, flags: 0x01, extLength: 47,
            extData: Array("{\"group\":[\"122691596189171712\"],\"exclude\":null}".utf8), body: Array("发送内容部分".utf8)),
        SeedVector(
            name: "V38",
            hex:
                "000000430e00000000000000000000000000000000010000000000155b223632323035353535343535383233383732225de58f91e98081e58685e5aeb9e983a8e58886",
            packLength: 67, command: 14, connectionID: 0, flags: 0x01, extLength: 21,
            extData: Array("[\"62205555455823872\"]".utf8), body: Array("发送内容部分".utf8)),
        SeedVector(
            name: "V39",
            hex:
                "000000a809000000000000000000000000000001000100000000008c613a343a7b733a323a226f73223b733a333a22696f73223b733a373a2276657273696f6e223b733a353a22312e322e30223b733a31323a226275696c645f6e756d626572223b733a323a223536223b733a393a226465766963655f6964223b733a33363a2246324533374144362d383038362d344531392d414534422d334635353343453041364135223b7d",
            packLength: 168, command: 9, connectionID: 256, flags: 0x01, extLength: 140,
            extData: Array(
                "a:4:{s:2:\"os\";s:3:\"ios\";s:7:\"version\";s:5:\"1.2.0\";s:12:\"build_number\";s:2:\"56\";s:9:\"device_id\";s:36:\"F2E37AD6-8086-4E19-AE4B-3F553CE0A6A5\";}"
                    .utf8), body: []),
        SeedVector(
            name: "V40",
            hex: "0000002e150000000000000000000000000000000101000000000012313232363931353936313839313731373132",
            packLength: 46, command: 21, connectionID: 1, flags: 0x01, extLength: 18,
            extData: Array("122691596189171712".utf8), body: []),
        SeedVector(
            name: "V41",
            hex: "0000002d0d00000000000000000000000000000001010000000000113632323035353535343535383233383732",
            packLength: 45, command: 13, connectionID: 1, flags: 0x01, extLength: 17,
            extData: Array("62205555455823872".utf8), body: []),
        SeedVector(
            name: "V42", hex: "0000001e0700000000000000000000000000000001000000000000004e3b",
            packLength: 30, command: 7, connectionID: 1, flags: 0x00, extLength: 0,
            extData: [], body: Array("N;".utf8)),
    ]
}

/// Spec §10.2: packets captured from real PHP code.
enum GatewayLabVectors {
    static let session = utf8(#"a:2:{s:4:"name";s:5:"alice";s:3:"age";i:5;}"#)
    static let localIP: UInt32 = 0x7F00_0001
    static let clientIP: UInt32 = 0x7F00_0001

    static let onConnect = "0000001c017f0000010b547f000001af640000000101205a00000000"
    static let onMessageHello = "00000021037f0000010b547f000001af640000000101205a0000000068656c6c6f"
    static let onMessageWithSession =
        "0000004d037f0000010b547f000001af640000000101205a0000002b613a323a7b733a343a226e616d65223b733a353a22616c696365223b733a333a22616765223b693a353b7d7365636f6e64"
    static let onCloseWithSession =
        "00000047047f0000010b547f000001af640000000101205a0000002b613a323a7b733a343a226e616d65223b733a353a22616c696365223b733a333a22616765223b693a353b7d"
    static let onWebSocketConnectHeader = "000002e1cd7f0000010b547f000001af640000000100205a00000000"
    static let ping = "0000001cc90000000000000000000000000000000001000000000000"

    /// ON_WEBSOCKET_CONNECT body, workerman 4.2.1.
    static let webSocketConnectBodyV4 = utf8(
        #"a:3:{s:3:"get";a:2:{s:5:"token";s:3:"abc";s:1:"x";a:2:{i:0;s:1:"1";i:1;s:1:"2";}}s:6:"server";a:13:{s:14:"REQUEST_METHOD";s:3:"GET";s:11:"REQUEST_URI";s:27:"/chat?token=abc&x[]=1&x[]=2";s:15:"SERVER_PROTOCOL";s:8:"HTTP/1.1";s:9:"HTTP_HOST";s:14:"127.0.0.1:8282";s:11:"SERVER_NAME";s:9:"127.0.0.1";s:11:"SERVER_PORT";s:4:"8282";s:12:"HTTP_UPGRADE";s:9:"websocket";s:15:"HTTP_CONNECTION";s:7:"Upgrade";s:22:"HTTP_SEC_WEBSOCKET_KEY";s:24:"R+NprMkZ59pF3VhR3uRmlQ==";s:26:"HTTP_SEC_WEBSOCKET_VERSION";s:2:"13";s:11:"HTTP_COOKIE";s:21:"sid=xyz; lang=zh%20CN";s:20:"HTTP_X_FORWARDED_FOR";s:8:"10.1.2.3";s:12:"QUERY_STRING";s:21:"token=abc&x[]=1&x[]=2";}s:6:"cookie";a:2:{s:3:"sid";s:3:"xyz";s:4:"lang";s:5:"zh CN";}}"#
    )

    /// ON_WEBSOCKET_CONNECT body, workerman 5.2.2.
    static let webSocketConnectBodyV5 = utf8(
        #"a:3:{s:3:"get";a:2:{s:5:"token";s:3:"abc";s:1:"x";a:2:{i:0;s:1:"1";i:1;s:1:"2";}}s:6:"server";a:16:{s:12:"QUERY_STRING";s:21:"token=abc&x[]=1&x[]=2";s:14:"REQUEST_METHOD";s:3:"GET";s:11:"REQUEST_URI";s:27:"/chat?token=abc&x[]=1&x[]=2";s:15:"SERVER_PROTOCOL";s:8:"HTTP/1.1";s:11:"SERVER_NAME";s:14:"127.0.0.1:8282";s:12:"CONTENT_TYPE";N;s:11:"REMOTE_ADDR";s:9:"127.0.0.1";s:11:"REMOTE_PORT";i:46568;s:11:"SERVER_PORT";i:8282;s:9:"HTTP_HOST";s:14:"127.0.0.1:8282";s:12:"HTTP_UPGRADE";s:9:"websocket";s:15:"HTTP_CONNECTION";s:7:"Upgrade";s:22:"HTTP_SEC_WEBSOCKET_KEY";s:24:"/2/CQlzWouMp8Iz0K4zjWw==";s:26:"HTTP_SEC_WEBSOCKET_VERSION";s:2:"13";s:11:"HTTP_COOKIE";s:21:"sid=xyz; lang=zh%20CN";s:20:"HTTP_X_FORWARDED_FOR";s:8:"10.1.2.3";}s:6:"cookie";a:2:{s:3:"sid";s:3:"xyz";s:4:"lang";s:7:"zh%20CN";}}"#
    )
}
