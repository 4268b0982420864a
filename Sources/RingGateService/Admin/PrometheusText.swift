/// Writes the Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` once per
/// family, then one line per labelled sample.
///
/// Why not swift-prometheus: its registry owns the counters (atomics updated on every increment);
/// RingGate's shards keep plain counters of their own and the figures are gathered only when scraped,
/// so all that is needed is the format.
public struct PrometheusText {
    public enum Kind: String {
        case counter, gauge, histogram
    }

    public private(set) var text = ""
    private var families: Set<String> = []

    public init() {}

    /// Starts a family; every family name is written once.
    public mutating func family(_ name: String, _ kind: Kind, help: String) {
        precondition(families.insert(name).inserted, "metric family \(name) written twice")
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    public mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{"
            text += labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",")
            text += "}"
        }
        text += " \(Self.format(value))\n"
    }

    public mutating func sample(_ name: String, _ labels: [(String, String)], _ value: some BinaryInteger) {
        sample(name, labels, Double(value))
    }

    /// A sample without labels.
    public mutating func sample(_ name: String, _ value: Double) { sample(name, [], value) }
    public mutating func sample(_ name: String, _ value: some BinaryInteger) { sample(name, [], Double(value)) }

    /// A histogram from per-bucket (not cumulative) counts; `upperBounds` has one entry fewer than
    /// `counts` (the last bucket is +Inf).
    public mutating func histogram(
        _ name: String, _ labels: [(String, String)], upperBounds: [Double], counts: [UInt64], sum: Double
    ) {
        precondition(counts.count == upperBounds.count + 1, "a histogram needs one count per bound plus +Inf")
        var cumulative: UInt64 = 0
        for (bound, count) in zip(upperBounds + [.infinity], counts) {
            cumulative &+= count
            sample(name + "_bucket", labels + [("le", Self.format(bound))], cumulative)
        }
        sample(name + "_sum", labels, sum)
        sample(name + "_count", labels, cumulative)
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value.rounded() == value && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func escapeLabel(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func escapeHelp(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
