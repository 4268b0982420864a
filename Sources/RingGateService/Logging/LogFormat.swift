import Logging

/// How the process writes its log to standard error.
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's `StreamLogHandler` lines: `2026-12-04T07:30:00+0000 info ringgate: shard=0 [RingGate] …`.
    case text
    /// One JSON object per line (`JSONLogHandler`).
    case json

    /// Installs the process-wide log handler; call once, before the first logger is made.
    public func bootstrap() {
        switch self {
        case .text: LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
    }
}
