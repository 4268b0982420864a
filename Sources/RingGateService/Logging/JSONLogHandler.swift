import Foundation
import Logging
import Synchronization

/// Writes each log record as one JSON object on one line (JSON Lines), for log shippers (Vector,
/// Fluent Bit, Loki's promtail, journald's JSON parsers). `--log-format json` / `log_format: json`.
///
/// The keys are stable and always present, in this order:
/// `time` (UTC, RFC 3339 with milliseconds), `level` (trace … critical), `label` (the logger's label,
/// `ringgate`), `source` (the module that logged: RingGate, RingGateService, RingGateWorkerKit, …),
/// `message`, and `metadata`: an object of the record's metadata (`shard`, `peer`, `reason`, …;
/// `{}` when there is none), values as strings, lists as arrays, dictionaries as objects.
public struct JSONLogHandler: LogHandler {
    /// Where finished lines go; the default writes each with one write(2) to standard error, so lines
    /// from several threads never interleave.
    public typealias Sink = @Sendable ([UInt8]) -> Void

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: Sink

    public init(label: String, sink: @escaping Sink = JSONLogHandler.standardError) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        var line = JSONLine()
        line.key("time", first: true)
        line.string(Self.timestamp())
        line.key("level")
        line.string(event.level.rawValue)
        line.key("label")
        line.string(label)
        line.key("source")
        line.string(event.source)
        line.key("message")
        line.string(event.message.description)
        line.key("metadata")
        line.object(merged)
        line.bytes += Array("}\n".utf8)
        sink(line.bytes)
    }

    private static let writeLock = Mutex<Void>(())

    /// Each line written whole to standard error under a lock (a short write's rest follows at once).
    public static let standardError: Sink = { bytes in
        writeLock.withLock { _ in try? FileHandle.standardError.write(contentsOf: bytes) }
    }

    /// `2026-12-04T07:30:00.123Z` for `milliseconds` since 1970 (now by default).
    static func timestamp(milliseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1_000)) -> String {
        let (days, dayMilliseconds) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let (dayCount, millisecond) =
            dayMilliseconds < 0 ? (days - 1, dayMilliseconds + 86_400_000) : (days, dayMilliseconds)
        // Civil date from days since 1970-01-01 (H. Hinnant, "chrono-compatible low-level date algorithms").
        let z = dayCount + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let seconds = millisecond / 1_000
        return
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(seconds / 3_600, 2)):\(pad(seconds / 60 % 60, 2)):"
            + "\(pad(seconds % 60, 2)).\(pad(millisecond % 1_000, 3))Z"
    }
}

/// A JSON text under construction: RFC 8259 string escaping, metadata as nested values.
struct JSONLine {
    var bytes: [UInt8] = [UInt8(ascii: "{")]

    mutating func key(_ name: String, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [92, 34]
            case UInt8(ascii: "\\"): bytes += [92, 92]
            case 10: bytes += [92, UInt8(ascii: "n")]
            case 13: bytes += [92, UInt8(ascii: "r")]
            case 9: bytes += [92, UInt8(ascii: "t")]
            case 0..<32, 127:
                let hex = Array("0123456789abcdef".utf8)
                bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func object(_ metadata: Logger.Metadata) {
        bytes.append(UInt8(ascii: "{"))
        for (index, entry) in metadata.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(entry.key)
            bytes.append(UInt8(ascii: ":"))
            value(entry.value)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func value(_ value: Logger.Metadata.Value) {
        switch value {
        case .string(let text): string(text)
        case .stringConvertible(let convertible): string(convertible.description)
        case .dictionary(let dictionary): object(dictionary)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(element)
            }
            bytes.append(UInt8(ascii: "]"))
        }
    }
}
