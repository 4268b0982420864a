import Logging
import Synchronization
import Testing

@testable import RingGate

@Suite struct ThrottledNoticesTests {
    private static let second: UInt64 = 1_000_000_000

    @Test func aFloodWritesOneLineThenOneAggregateAfterTheInterval() {
        let recorder = LogRecorder()
        var notices = ThrottledNotices(logger: recorder.logger, intervalNanoseconds: 10 * Self.second)
        do { let logged = notices.notice("bad frame", peer: "10.0.0.1:1", now: 0); #expect(logged) }
        for index in 2...1_000 {
            do {
                let logged = notices.notice("bad frame", peer: "10.0.0.1:\(index)", now: UInt64(index) * 1_000);
                #expect(!logged)
            }
        }
        #expect(recorder.lines.count == 1)
        #expect(notices.pendingCount == 999)
        notices.flush(now: 5 * Self.second)
        #expect(recorder.lines.count == 1)
        notices.flush(now: 10 * Self.second)
        #expect(recorder.lines.count == 2)
        #expect(recorder.lines[1].message.hasPrefix("bad frame (999 more"))
        #expect(recorder.lines[1].metadata["first_peer"] == "10.0.0.1:2")
        #expect(notices.pendingCount == 0)
        // Quiet since: the next one is written at once again.
        do { let logged = notices.notice("bad frame", peer: "10.0.0.9:9", now: 11 * Self.second); #expect(logged) }
    }

    @Test func differentMessagesAreThrottledSeparately() {
        let recorder = LogRecorder()
        var notices = ThrottledNotices(logger: recorder.logger, intervalNanoseconds: Self.second)
        do { let logged = notices.notice("a", peer: "p", now: 0); #expect(logged) }
        do { let logged = notices.notice("b", peer: "p", now: 1); #expect(logged) }
        do { let logged = notices.notice("a", peer: "q", now: 2); #expect(!logged) }
        // The next "a" after the interval reports the aggregate and itself.
        do { let logged = notices.notice("a", peer: "r", now: Self.second + 3); #expect(logged) }
        #expect(recorder.lines.map(\.message) == ["a", "b", "a (1 more in the last 1.0 s)", "a"])
    }
}

/// Collects log lines in memory.
final class LogRecorder: Sendable {
    struct Line: Sendable {
        var message: String
        var metadata: [String: String]
    }

    private let stored = Mutex<[Line]>([])

    var lines: [Line] { stored.withLock { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in RecordingHandler(recorder: self) }
    }

    fileprivate func append(_ line: Line) { stored.withLock { $0.append(line) } }

    private struct RecordingHandler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var flat: [String: String] = [:]
            for (key, value) in event.metadata ?? [:] { flat[key] = "\(value)" }
            recorder.append(Line(message: "\(event.message)", metadata: flat))
        }
    }
}
