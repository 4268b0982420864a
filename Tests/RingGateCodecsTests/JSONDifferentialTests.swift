import Foundation
import RingGateCodecs
import Testing

/// `JSONParser` stays hand-written (docs/design.md) because it is reachable before authentication and
/// must decode exactly as PHP's `json_decode($text, true)` does. This compares the two over the
/// committed fuzz seed corpus, the fuzz regressions and deterministic mutations of them: for every
/// input both sides must agree on "invalid", or on the decoded value, compared as `serialize()` output
/// (which shows key order, integer-vs-float, big integers, duplicate keys and key normalisation).
@Suite struct JSONDifferentialTests {
    static let php: String? = ["/usr/bin/php", "/usr/local/bin/php", "/usr/bin/php8.2"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static let testsRoot = "/" + #filePath.split(separator: "/").dropLast(2).joined(separator: "/")

    @Test(.enabled(if: php != nil, "php-cli is not installed (apt-get install php8.2-cli); differential test skipped"))
    func parserAgreesWithPHPJSONDecode() throws {
        let inputs = try Self.corpus()
        #expect(inputs.count > 2_000)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("json-diff-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (index, input) in inputs.enumerated() {
            try Data(input).write(to: directory.appendingPathComponent(String(format: "%06d", index)))
        }
        let phpResults = try Self.runPHP(on: directory.path)
        #expect(phpResults.count == inputs.count)
        var disagreements: [String] = []
        for (index, input) in inputs.enumerated() {
            let ours = Self.decodeAsPHP(input)
            guard let theirs = phpResults[index], theirs != ours else { continue }
            let shown = String(decoding: input.prefix(120), as: UTF8.self).debugDescription
            disagreements.append(
                "input \(shown) (\(input.count) B): php \(theirs.prefix(200)), ours \(ours.prefix(200))")
        }
        #expect(
            disagreements.isEmpty,
            "\(disagreements.count) disagreements:\n\(disagreements.prefix(20).joined(separator: "\n"))")
    }

    /// `JSONWriter` in its default mode is `json_encode` (Register lines are compared byte for byte with
    /// PHP's): every string the corpus decodes to, every object key, and strings built to hit each escape.
    @Test(.enabled(if: php != nil, "php-cli is not installed (apt-get install php8.2-cli); differential test skipped"))
    func writerAgreesWithPHPJSONEncode() throws {
        var strings: Set<String> = [
            "", "a/b", "\"q\"", "back\\slash", "\u{7F}", "\u{80}", "é", "\u{2028}\u{2029}", "\u{FEFF}", "\u{FFFF}",
            "\u{1F600}", "\u{10FFFF}", "tab\tnew\nline\r", String(decoding: (0..<32).map { UInt8($0) }, as: UTF8.self),
            "127.0.0.1:2900", "密钥", "<script>&'",
        ]
        func collect(_ value: JSONValue) {
            switch value {
            case .string(let text): strings.insert(text)
            case .array(let elements): elements.forEach(collect)
            case .object(let members):
                for member in members {
                    strings.insert(member.key)
                    collect(member.value)
                }
            default: break
            }
        }
        for input in try Self.corpus() { JSONParser.parse(input).map(collect) }
        let sorted = strings.sorted()
        #expect(sorted.count > 100)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("json-encode-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (index, text) in sorted.enumerated() {
            try Data(text.utf8).write(to: directory.appendingPathComponent(String(format: "%06d", index)))
        }
        let script = #"""
            $dir = $argv[1];
            foreach (array_values(array_diff(scandir($dir), ['.', '..'])) as $name) {
                $json = json_encode(file_get_contents("$dir/$name"));
                echo $json === false ? "E" : "V" . bin2hex($json), "\n";
            }
            """#
        let theirs = try Self.runPHP(script: script, on: directory.path)
        #expect(theirs.count == sorted.count)
        var disagreements: [String] = []
        for (index, text) in sorted.enumerated() where index < theirs.count {
            let ours = "V" + String(decoding: JSONWriter.encode(.string(text)), as: UTF8.self)
            if theirs[index] != ours {
                disagreements.append("\(text.debugDescription): php \(theirs[index] ?? "?"), ours \(ours)")
            }
        }
        #expect(
            disagreements.isEmpty,
            "\(disagreements.count) disagreements:\n\(disagreements.prefix(20).joined(separator: "\n"))")
    }

    /// The comparison itself notices a difference: PHP keeps the last of two equal keys.
    @Test func theCanonicalFormShowsDuplicateKeysAndBigIntegers() {
        #expect(Self.decodeAsPHP(Array(#"{"a":1,"b":2,"a":3}"#.utf8)) == #"Va:2:{s:1:"a";i:3;s:1:"b";i:2;}"#)
        #expect(Self.decodeAsPHP(Array("9223372036854775808".utf8)) == "Vd:9.223372036854776E+18;")
        #expect(Self.decodeAsPHP(Array(#"{"4":4}"#.utf8)) == "Va:1:{i:4;i:4;}")
        #expect(Self.decodeAsPHP(Array("[1,]".utf8)) == "E")
    }

    // MARK: Our side

    /// `E` for invalid input, else `V` + `serialize(json_decode(input, true))` as PHP would write it.
    static func decodeAsPHP(_ input: [UInt8]) -> String {
        guard let value = JSONParser.parse(input) else { return "E" }
        return "V" + String(decoding: PHPSerializer.serialize(phpValue(value)), as: UTF8.self)
    }

    static func phpValue(_ json: JSONValue) -> PHPValue {
        switch json {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .number(let number):
            if number.isInteger, let integer = number.int64Value { return .int(integer) }
            return .float(PHPFloat(number.doubleValue))
        case .string(let text): return .string(Array(text.utf8))
        case .array(let elements): return .array(PHPArray(list: elements.map(phpValue)))
        case .object(let members):
            var array = PHPArray()
            for member in members {
                _ = array.updateValue(phpValue(member.value), forKey: PHPKey(normalizing: member.key))
            }
            return .array(array)
        }
    }

    // MARK: PHP's side

    /// One line per input file, in name order: `E`, or `V` + hex of `serialize(json_decode(…, true))`.
    static func runPHP(on directory: String) throws -> [String?] {
        let script = #"""
            $dir = $argv[1];
            $names = array_values(array_diff(scandir($dir), ['.', '..']));
            foreach ($names as $name) {
                $value = json_decode(file_get_contents("$dir/$name"), true);
                if ($value === null && json_last_error() !== JSON_ERROR_NONE) { echo "E\n"; }
                else { echo "V", bin2hex(serialize($value)), "\n"; }
            }
            """#
        return try runPHP(script: script, on: directory)
    }

    /// Runs `script` with the directory as its argument; each output line is `E` or `V` + hex, decoded.
    static func runPHP(script: String, on directory: String) throws -> [String?] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: php!)
        process.arguments = ["-n", "-d", "serialize_precision=-1", "-d", "memory_limit=1G", "-r", script, directory]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line -> String? in
            if line == "E" { return "E" }
            guard line.first == "V", let bytes = hexBytes(line.dropFirst()) else { return nil }
            return "V" + String(decoding: bytes, as: UTF8.self)
        }
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).compactMap {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)
        }
    }

    // MARK: Corpus

    /// Seeds (Tests/Fuzz/FuzzJSONParser/corpus), the fuzz regressions, a locally grown fuzz corpus when
    /// `scripts/fuzz-smoke.sh` left one, and 30 seeded mutations of every seed.
    static func corpus() throws -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        for folder in ["Fuzz/FuzzJSONParser/corpus", "Fuzz/FuzzRegisterLine/corpus", "Fuzz/regressions"] {
            let path = testsRoot + "/" + folder
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { continue }
            for name in names.sorted() where !name.hasSuffix(".md") {
                if let data = FileManager.default.contents(atPath: path + "/" + name) { seeds.append(Array(data)) }
            }
        }
        let grown = testsRoot + "/../.build-fuzz/corpus/FuzzJSONParser"
        if let names = try? FileManager.default.contentsOfDirectory(atPath: grown) {
            for name in names.sorted().prefix(5_000) {
                if let data = FileManager.default.contents(atPath: grown + "/" + name) { seeds.append(Array(data)) }
            }
        }
        var random = SplitMix64(seed: 0x5EED_1234)
        var inputs = seeds
        let small = seeds.filter { $0.count < 4_096 }
        for seed in small {
            for _ in 0..<30 { inputs.append(mutate(seed, with: small, random: &random)) }
        }
        return inputs
    }

    static let tokens: [[UInt8]] =
        [
            "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "0", "-", ".", "e", "E+", "1e999", "null",
            "true",
            " ", "\n", "\"a\":", "9223372036854775808", "\u{00e9}", "\u{1F600}",
        ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0x00], [0xED, 0xA0, 0x80]]

    static func mutate(_ seed: [UInt8], with seeds: [[UInt8]], random: inout SplitMix64) -> [UInt8] {
        var bytes = seed
        for _ in 0...random.next(below: 3) {
            let position = bytes.isEmpty ? 0 : random.next(below: bytes.count + 1)
            switch random.next(below: 5) {
            case 0: bytes.insert(contentsOf: tokens[random.next(below: tokens.count)], at: position)
            case 1: if position < bytes.count { bytes.remove(at: position) }
            case 2: if position < bytes.count { bytes[position] = tokens[random.next(below: tokens.count)].first ?? 0 }
            case 3: bytes = Array(bytes.prefix(position))
            default:
                let other = seeds[random.next(below: seeds.count)]
                let cut = other.isEmpty ? 0 : random.next(below: other.count + 1)
                bytes.insert(contentsOf: other.prefix(cut), at: position)
            }
        }
        return bytes
    }
}

/// A small deterministic generator, so a failing input can be reproduced.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
}
