import Foundation
import Glibc
import Logging
import Synchronization
import Testing

@testable import RingGateService

/// `--log-format json`: every record is one line that a JSON parser reads, with the documented keys.
@Suite struct JSONLogHandlerTests {
    @Test func everyRecordIsOneParsableLineWithStableKeys() throws {
        let captured = Mutex<[UInt8]>([])
        var logger = Logger(label: "ringgate") { label in
            JSONLogHandler(label: label) { line in captured.withLock { $0 += line } }
        }
        logger.logLevel = .debug
        logger[metadataKey: "shard"] = "1"
        logger.info("plain")
        logger.warning(
            "quote \" backslash \\ newline \n tab \t bell \u{07} snow ☃",
            metadata: ["peer": "127.0.0.1:5000", "list": ["a", "b"], "nested": ["k": "v"], "shard": "2"])
        logger.trace("below the level")
        logger.error("last")

        let text = String(decoding: captured.withLock { $0 }, as: UTF8.self)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 3)
        let records = try lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        for record in records {
            #expect(Set(record.keys) == ["time", "level", "label", "source", "message", "metadata"])
            #expect(record["label"] as? String == "ringgate")
            #expect((record["time"] as? String)?.count == 24)
            #expect((record["time"] as? String)?.hasSuffix("Z") == true)
        }
        #expect(records.map { $0["level"] as? String } == ["info", "warning", "error"])
        #expect(records[0]["metadata"] as? [String: String] == ["shard": "1"])
        #expect(records[1]["message"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} snow ☃")
        let metadata = try #require(records[1]["metadata"] as? [String: Any])
        #expect(metadata["shard"] as? String == "2")  // the call's metadata wins over the logger's
        #expect(metadata["list"] as? [String] == ["a", "b"])
        #expect(metadata["nested"] as? [String: String] == ["k": "v"])
        #expect(records[0]["source"] as? String == "RingGateServiceTests")
    }

    @Test func timestampsAreUTCCalendarDates() {
        #expect(JSONLogHandler.timestamp(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(JSONLogHandler.timestamp(milliseconds: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(JSONLogHandler.timestamp(milliseconds: 1_796_370_245_678) == "2026-12-04T07:44:05.678Z")
        #expect(JSONLogHandler.timestamp(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func configurationKeyAndFlag() throws {
        #expect(try ConfigurationLoader.load(overrides: ["log_format=json"]).logFormat == .json)
        #expect(try ConfigurationLoader.load(environment: ["RINGGATE_LOG_FORMAT": "json"]).logFormat == .json)
        #expect(try ConfigurationLoader.load().logFormat == .text)
        #expect(throws: (any Error).self) { try ConfigurationLoader.load(overrides: ["log_format=xml"]) }
    }

    /// A real process: `ringgate echo --log-format json` writes nothing but JSON lines from start to stop.
    @Test(.timeLimit(.minutes(1))) func processLogIsJSONLines() throws {
        let process = try RingGateProcess([
            "echo", "text://127.0.0.1:0", "--shards", "1", "--no-huge-pages", "--connections-per-shard", "256",
            "--slab-mib", "4", "--log-format", "json",
        ])
        #expect(process.waitForOutput("echo gateway running", seconds: 30), "\(process.output)")
        process.signal(SIGTERM)
        #expect(process.exitStatus(within: 20) == 0)
        let lines = process.output.split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let record = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(record["message"] is String && record["metadata"] is [String: Any], "\(line)")
        }
        #expect(lines.contains { $0.contains(#""message":"stopping""#) })
    }
}
