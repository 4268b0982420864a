import Logging

/// Log lines that a peer can trigger at will (a client protocol error, a dropped event, a rejected
/// inner connection), aggregated so that a flood writes one line per interval instead of one per event.
///
/// The first occurrence of a notice in an interval is logged at once with its peer. Later ones in the
/// same interval are only counted; the count and the first such peer are written by `flush(now:)` (the
/// owner calls it from its timer tick) or with the next occurrence after the interval. Each notice is
/// keyed by its message text, so different problems never hide each other. Not thread-safe: one
/// instance per shard or loop thread.
package struct ThrottledNotices {
    private struct Window {
        var startedAt: UInt64
        var suppressed = 0
        var firstSuppressedPeer = ""
        var level: Logger.Level
    }

    package let logger: Logger
    package let intervalNanoseconds: UInt64
    private var windows: [String: Window] = [:]

    package init(logger: Logger, intervalNanoseconds: UInt64 = 10_000_000_000) {
        self.logger = logger
        self.intervalNanoseconds = intervalNanoseconds
    }

    /// Logs `message` for `peer` now, or counts it when the same message was logged less than an
    /// interval ago. Returns whether a line was written now (tests).
    @discardableResult
    package mutating func notice(
        _ message: String, peer: @autoclosure () -> String, level: Logger.Level = .notice,
        metadata: @autoclosure () -> Logger.Metadata = [:], now: UInt64
    ) -> Bool {
        if var window = windows[message], now &- window.startedAt < intervalNanoseconds {
            if window.suppressed == 0 { window.firstSuppressedPeer = peer() }
            window.suppressed += 1
            windows[message] = window
            return false
        }
        if let window = windows[message], window.suppressed > 0 { report(message, window) }
        windows[message] = Window(startedAt: now, level: level)
        var lineMetadata = metadata()
        lineMetadata["peer"] = "\(peer())"
        logger.log(level: level, "\(message)", metadata: lineMetadata)
        return true
    }

    /// Writes the aggregate line of every interval that ended, and forgets notices that went quiet.
    package mutating func flush(now: UInt64) {
        guard !windows.isEmpty else { return }
        for (message, window) in windows where now &- window.startedAt >= intervalNanoseconds {
            if window.suppressed > 0 { report(message, window) }
            windows[message] = nil
        }
    }

    /// Occurrences counted but not yet written, over every notice (tests).
    package var pendingCount: Int { windows.values.reduce(0) { $0 + $1.suppressed } }

    private func report(_ message: String, _ window: Window) {
        let seconds = Double(intervalNanoseconds) / 1e9
        logger.log(
            level: window.level, "\(message) (\(window.suppressed) more in the last \(seconds) s)",
            metadata: ["first_peer": "\(window.firstSuppressedPeer)", "repeated": "\(window.suppressed)"])
    }
}
