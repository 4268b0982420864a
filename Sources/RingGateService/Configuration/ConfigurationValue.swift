import RingGate
import RingGateRuntime

/// A value as written in the config file, an environment variable or a `--set` flag: one scalar or a
/// list of scalars. Keys parse it into their own type.
public enum ConfigurationValue: Sendable, Equatable {
    case scalar(String)
    case list([String])

    /// The value as a list (a scalar is a list of one; a comma-separated scalar from the environment or
    /// a flag is split).
    var items: [String] {
        switch self {
        case .scalar(let text):
            return text.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        case .list(let items): return items
        }
    }

    func scalar() throws(ConfigurationProblem) -> String {
        guard case .scalar(let text) = self else { throw ConfigurationProblem("expects a single value, not a list") }
        return text
    }

    func bool() throws(ConfigurationProblem) -> Bool {
        switch try scalar().lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        case let text: throw ConfigurationProblem("'\(text)' is not a boolean (true or false)")
        }
    }

    func integer(in range: ClosedRange<Int>) throws(ConfigurationProblem) -> Int {
        let text = try scalar()
        guard let value = Int(text.replacingUnderscores()) else {
            throw ConfigurationProblem("'\(text)' is not a whole number")
        }
        guard range.contains(value) else {
            throw ConfigurationProblem("\(value) is out of range (\(range.lowerBound)...\(range.upperBound))")
        }
        return value
    }

    /// A whole number, or `auto` (nil).
    func integerOrAuto(in range: ClosedRange<Int>) throws(ConfigurationProblem) -> Int? {
        if try scalar().lowercased() == "auto" { return nil }
        do { return try integer(in: range) } catch {
            throw ConfigurationProblem(error.message + " (or auto)")
        }
    }

    func number(in range: ClosedRange<Double>) throws(ConfigurationProblem) -> Double {
        let text = try scalar()
        guard let value = Double(text.replacingUnderscores()), value.isFinite else {
            throw ConfigurationProblem("'\(text)' is not a number")
        }
        guard range.contains(value) else {
            throw ConfigurationProblem(
                "\(text) is out of range (\(range.lowerBound.compact)...\(range.upperBound.compact))")
        }
        return value
    }

    func address() throws(ConfigurationProblem) -> SocketAddress {
        try Self.address(scalar())
    }

    func addresses() throws(ConfigurationProblem) -> [SocketAddress] {
        var result: [SocketAddress] = []
        for item in items { result.append(try Self.address(item)) }
        return result
    }

    static func address(_ text: String) throws(ConfigurationProblem) -> SocketAddress {
        guard let address = SocketAddress(text) else {
            throw ConfigurationProblem("'\(text)' is not an address (ip:port, e.g. 127.0.0.1:1238 or [::1]:1238)")
        }
        return address
    }

    func choice<T: RawRepresentable>(_ type: T.Type, allowed: [T]) throws(ConfigurationProblem) -> T
    where T.RawValue == String {
        let text = try scalar()
        guard let value = T(rawValue: text.lowercased()) else {
            throw ConfigurationProblem(
                "'\(text)' is not one of \(allowed.map(\.rawValue).joined(separator: ", "))"
                    + (closestMatch(to: text, among: allowed.map(\.rawValue)).map { " (did you mean '\($0)'?)" } ?? ""))
        }
        return value
    }
}

/// What is wrong with one value; the loader adds where it came from.
public struct ConfigurationProblem: Error, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }

    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}

extension Double {
    /// 25.0 as "25", 0.5 as "0.5".
    var compact: String { rounded() == self && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}
