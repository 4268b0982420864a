import RingGateCodecs
import Testing

/// PHP's `parse_str` (spec §4.2 `get`/`cookie`, §9.3 keys). Every expected serialization below was
/// produced by PHP 8.2.36's `serialize` after `parse_str` on the same input.
@Suite struct PHPQueryStringTests {
    static func parsed(_ query: String, limits: PHPQueryString.Limits = .init()) -> String {
        String(
            decoding: PHPSerializer.serialize(.array(PHPQueryString.parse(Array(query.utf8), limits: limits))),
            as: UTF8.self)
    }

    @Test(arguments: [
        // §10.2 lab request: a list from `x[]`.
        ("token=abc&x[]=1&x[]=2", #"a:2:{s:5:"token";s:3:"abc";s:1:"x";a:2:{i:0;s:1:"1";i:1;s:1:"2";}}"#),
        // Nested brackets, merged into one array.
        (
            "a[b][c]=1&a[b][d]=2&a[e]=3",
            #"a:1:{s:1:"a";a:2:{s:1:"b";a:2:{s:1:"c";s:1:"1";s:1:"d";s:1:"2";}s:1:"e";s:1:"3";}}"#
        ),
        // `[]` appends after the largest integer key.
        ("a[]=1&a[]=2&a[5]=x&a[]=3", #"a:1:{s:1:"a";a:4:{i:0;s:1:"1";i:1;s:1:"2";i:5;s:1:"x";i:6;s:1:"3";}}"#),
        // urldecode on names and values: `%XX` in either case, `+` is a space, UTF-8 stays bytes.
        ("q=%41%42+c%2b&n%61me=v%E2%82%ac", #"a:2:{s:1:"q";s:5:"AB c+";s:4:"name";s:4:"v€";}"#),
        // A `%` without two hex digits is kept as it is.
        ("a=%zz%4&b=100%&c=%%41", #"a:3:{s:1:"a";s:5:"%zz%4";s:1:"b";s:4:"100%";s:1:"c";s:2:"%A";}"#),
        // `.` and space become `_` in the top-level name only; leading spaces are dropped.
        (
            "a.b=1&a b=2&a+c=3&%20lead=4&x[a.b]=5&y.z[a b]=6",
            #"a:5:{s:3:"a_b";s:1:"2";s:3:"a_c";s:1:"3";s:4:"lead";s:1:"4";s:1:"x";a:1:{s:3:"a.b";s:1:"5";}s:3:"y_z";a:1:{s:3:"a b";s:1:"6";}}"#
        ),
        // Empty values, names without `=`, empty pieces; an empty name is dropped.
        ("a=&b&=c&&d=&&", #"a:3:{s:1:"a";s:0:"";s:1:"b";s:0:"";s:1:"d";s:0:"";}"#),
        // Canonical integers become integer keys, at every level (§9.3).
        (
            "5=a&05=b&-3=c&-0=d&9223372036854775807=e&9223372036854775808=f&x[7]=g&x[07]=h&x[-0]=i",
            #"a:7:{i:5;s:1:"a";s:2:"05";s:1:"b";i:-3;s:1:"c";s:2:"-0";s:1:"d";i:9223372036854775807;s:1:"e";s:19:"9223372036854775808";s:1:"f";s:1:"x";a:3:{i:7;s:1:"g";s:2:"07";s:1:"h";s:2:"-0";s:1:"i";}}"#
        ),
        // A later duplicate overwrites in place.
        ("a=1&b=2&a=3", #"a:2:{s:1:"a";s:1:"3";s:1:"b";s:1:"2";}"#),
        // A scalar becomes an array when indexed, an array becomes a scalar when assigned.
        ("a=1&a[x]=2&b[x]=1&b=2", #"a:2:{s:1:"a";a:1:{s:1:"x";s:1:"2";}s:1:"b";s:1:"2";}"#),
        // An unclosed `[`: `a_b` on the first level, the previous index deeper; text after `]` ignored.
        (
            "a[b=1&c[d][e=2&f]g=3&h[i]j=4",
            #"a:4:{s:3:"a_b";s:1:"1";s:1:"c";a:1:{s:1:"d";s:1:"2";}s:3:"f]g";s:1:"3";s:1:"h";a:1:{s:1:"i";s:1:"4";}}"#
        ),
        // No top-level name: dropped.
        ("[]=1&[x]=2&+=3", #"a:0:{}"#),
        // `[` + one whitespace + `]` appends; other whitespace stays in the index.
        ("a[ ]=1&a[ x]=2&a[\t]=3", #"a:1:{s:1:"a";a:3:{i:0;s:1:"1";s:2:" x";s:1:"2";i:1;s:1:"3";}}"#),
        // No integer key is left to append under: PHP gives up (the arrays made so far stay).
        (
            "a[9223372036854775807]=1&a[]=2&b[9223372036854775807]=1&b[][x]=2",
            #"a:2:{s:1:"a";a:1:{i:9223372036854775807;s:1:"1";}s:1:"b";a:1:{i:9223372036854775807;s:1:"1";}}"#
        ),
        // Cookie-prefix guard: keys that gain `__Host-`/`__Secure-` without the name having it.
        (
            "..Host-a=1&__Host-b=2&c[__Host-d]=3&__Secure-e[__Secure-f]=4&_[Host-g=5",
            #"a:3:{s:8:"__Host-b";s:1:"2";s:1:"c";a:0:{}s:10:"__Secure-e";a:1:{s:10:"__Secure-f";s:1:"4";}}"#
        ),
    ])
    func parsesLikePHP(_ query: String, _ expected: String) {
        #expect(Self.parsed(query) == expected)
    }

    @Test func nulBytes() {
        // A decoded NUL ends a name but not a value; a raw NUL ends the input (PHP scans a C string).
        let input = Array("a=1%00z&b%00c=2&d=3".utf8) + [0] + Array("&e=4".utf8)
        let expected: PHPArray = ["a": .string([0x31, 0, 0x7A]), "b": "2", "d": "3"]
        #expect(PHPQueryString.parse(input) == expected)
    }

    @Test func urlDecode() {
        #expect(PHPQueryString.urlDecode(Array("%41+%4%zz%7e%7E+".utf8).span) == Array("A %4%zz~~ ".utf8))
        #expect(PHPQueryString.urlDecode(Array("%4".utf8).span) == Array("%4".utf8))
        #expect(PHPQueryString.urlDecode([UInt8]().span) == [])
    }

    @Test func variableCountLimit() {
        let query = (0..<1001).map { "v\($0)=\($0)" }.joined(separator: "&")
        let parsed = PHPQueryString.parse(Array(query.utf8))
        #expect(parsed.count == 1000)  // PHP's max_input_vars
        #expect(parsed["v999"] == "999" && parsed["v1000"] == nil)
        // Empty pieces do not count; nameless ones do.
        #expect(
            Self.parsed("a=1&&=x&b=2&c=3", limits: .init(maxVariableCount: 3))
                == #"a:2:{s:1:"a";s:1:"1";s:1:"b";s:1:"2";}"#)
    }

    @Test func nestingLimit() {
        let levels64 = "a" + String(repeating: "[x]", count: 64) + "=1"
        var nested = PHPQueryString.parse(Array(levels64.utf8))["a"]
        for _ in 0..<63 { nested = nested?.arrayValue?["x"] }
        #expect(nested == ["x": "1"])
        // One level more removes the whole top-level entry, even one set before.
        let levels65 = "a=1&a" + String(repeating: "[x]", count: 65) + "=2&c=3"
        #expect(Self.parsed(levels65) == #"a:1:{s:1:"c";s:1:"3";}"#)
        let limits = PHPQueryString.Limits(maxNestingLevel: 2)
        #expect(
            Self.parsed("a[b][c]=1&x=0&x[y][z][w]=1", limits: limits)
                == #"a:1:{s:1:"a";a:1:{s:1:"b";a:1:{s:1:"c";s:1:"1";}}}"#)
        #expect(Self.parsed("a[b]=1", limits: .init(maxNestingLevel: 0)) == "a:0:{}")
    }

    @Test func hostileInputStaysBounded() {
        let brackets = "a" + String(repeating: "[", count: 20_000) + "=1"
        #expect(Self.parsed(brackets).hasPrefix(#"a:1:{s:20001:"a___"#))
        let appends = (0..<1000).map { _ in String(repeating: "[]", count: 64) }.map { "a\($0)=1" }
        let parsed = PHPQueryString.parse(Array(appends.joined(separator: "&").utf8))
        #expect(parsed["a"]?.arrayValue?.count == 1000)
        let closers = String(repeating: "a[]]]][[", count: 5_000)
        _ = PHPQueryString.parse(Array(closers.utf8))
    }
}

/// PHP's `parse_url($target, PHP_URL_QUERY)`, as workerman uses it for `QUERY_STRING`; expectations
/// from PHP 8.2.36 (nil where PHP returns null or false).
@Suite struct PHPURLTests {
    @Test(
        arguments: [
            ("/chat?token=abc", "token=abc"),
            ("/a?", ""),
            ("/a", nil),
            ("/a?x#frag", "x"),
            ("/a#f?x", nil),
            ("/a?b?c", "b?c"),
            ("/p?t=a:b", "t=a:b"),
            ("//host/p?q=1", "q=1"),
            ("", nil),
            ("*", nil),
            // A "port" with no host, and a port over 65535: PHP returns false.
            ("/a:80/b?x=1", nil),
            ("http://h:99999/?x", nil),
            ("http://user:pw@[::1]:8080/p?x=1", "x=1"),
        ] as [(String, String?)])
    func query(_ target: String, _ expected: String?) {
        #expect(PHPURL.query(in: Array(target.utf8)) == expected.map { Array($0.utf8) })
        #expect(PHPURL.query(in: Array(target.utf8).span) == expected.map { Array($0.utf8) })
    }

    @Test func controlBytesBecomeUnderscores() {
        let target: [UInt8] = Array("/?x".utf8) + [0x01, 0x7F, 0x00, 0x85] + Array("y".utf8)
        #expect(PHPURL.query(in: target) == Array("x___".utf8) + [0x85] + Array("y".utf8))
    }
}
