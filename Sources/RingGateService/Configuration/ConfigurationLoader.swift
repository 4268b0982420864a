import Yams

/// Every problem found in a configuration, each with where it came from
/// (`ringgate.yaml:12: gateway.lan_ip: …`, `RINGGATE_GATEWAY_SHARDS: …`, `--set gateway.shards: …`).
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

/// Builds a `ServiceConfiguration` from, in increasing precedence: the defaults, a YAML file, the
/// environment (`RINGGATE_<SECTION>_<KEY>`) and `--set key=value` flags; then checks the whole.
public enum ConfigurationLoader {
    /// A value with where it was written.
    struct Setting {
        var path: String
        var value: ConfigurationValue
        var origin: String
    }

    public static func load(
        fileContents: String? = nil, fileName: String = "config", environment: [String: String] = [:],
        overrides: [String] = []
    ) throws(ConfigurationError) -> ServiceConfiguration {
        var problems: [String] = []
        var settings: [Setting] = []
        if let fileContents {
            settings += yamlSettings(fileContents, fileName: fileName, problems: &problems)
        }
        settings += environmentSettings(environment, problems: &problems)
        settings += overrideSettings(overrides, problems: &problems)

        var configuration = ServiceConfiguration()
        for setting in settings {
            guard let key = ConfigurationKey.byPath[setting.path] else {
                problems.append("\(setting.origin): unknown key '\(setting.path)'\(suggestion(for: setting.path))")
                continue
            }
            do { try key.apply(&configuration, setting.value) } catch {
                problems.append("\(setting.origin): \(setting.path): \(error.message)")
            }
        }
        let given = Set(settings.map(\.path))
        // An empty secret_key next to a secret_key_file is the example file's default, not a conflict.
        let nonEmpty = Set(settings.filter { $0.value != .scalar("") }.map(\.path))
        for section in ["register", "gateway", "worker_demo"]
        where nonEmpty.contains("\(section).secret_key") && nonEmpty.contains("\(section).secret_key_file") {
            problems.append("\(section).secret_key and \(section).secret_key_file are both set: give one")
        }
        // Pointing the gateway at a Register of its own choosing means a cluster, not the embedded
        // default: the built-in Register and demo worker then run only when asked for.
        if given.contains("gateway.register_address") {
            if !given.contains("register.enabled") { configuration.register.enabled = false }
            if !given.contains("worker_demo.enabled") { configuration.workerDemo.enabled = false }
        }
        // The embedded default started with a certificate serves its demo over https and wss.
        if !given.contains("gateway.listen") && !configuration.tls.localCert.isEmpty {
            configuration.gateway.listen = ["wss://0.0.0.0:8282"]
        }
        problems += ConfigurationValidation.problems(in: configuration)
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        return configuration
    }

    /// The value each key was given (file, environment, `--set`; the last wins), as written; keys left
    /// at their defaults are absent. A reload compares these to name the keys that changed.
    public static func effectiveSettings(
        fileContents: String?, environment: [String: String], overrides: [String]
    ) -> [String: String] {
        var problems: [String] = []
        var settings: [Setting] = []
        if let fileContents { settings += yamlSettings(fileContents, fileName: "config", problems: &problems) }
        settings += environmentSettings(environment, problems: &problems)
        settings += overrideSettings(overrides, problems: &problems)
        var values: [String: String] = [:]
        for setting in settings {
            switch setting.value {
            case .scalar(let text): values[setting.path] = text
            case .list(let items): values[setting.path] = items.joined(separator: "\n")
            }
        }
        return values
    }

    static func suggestion(for path: String) -> String {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2, !ConfigurationKey.sections.contains(parts[0]) {
            if let section = closestMatch(to: parts[0], among: ConfigurationKey.sections.sorted()) {
                return " (did you mean section '\(section)'?)"
            }
            return " (sections: \(ConfigurationKey.sections.sorted().joined(separator: ", ")))"
        }
        guard let match = closestMatch(to: path, among: ConfigurationKey.all.map(\.path)) else { return "" }
        return " (did you mean '\(match)'?)"
    }

    // MARK: Sources

    static func yamlSettings(_ text: String, fileName: String, problems: inout [String]) -> [Setting] {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            // libyaml's message (with its line and column) without the context dump that follows it.
            let message = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            problems.append("\(fileName): not valid YAML: \(message)")
            return []
        }
        guard let root else { return [] }  // an empty file: every default
        guard case .mapping(let mapping) = root else {
            problems.append("\(location(fileName, root)): the file must be a mapping of keys to values")
            return []
        }
        var settings: [Setting] = []
        collect(mapping, prefix: "", fileName: fileName, into: &settings, problems: &problems)
        return settings
    }

    private static func collect(
        _ mapping: Node.Mapping, prefix: String, fileName: String, into settings: inout [Setting],
        problems: inout [String]
    ) {
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string, !key.isEmpty else {
                problems.append("\(location(fileName, keyNode)): keys must be plain names")
                continue
            }
            let path = prefix + key
            let origin = location(fileName, keyNode)
            switch valueNode {
            case .mapping(let inner) where prefix.isEmpty && ConfigurationKey.sections.contains(key):
                collect(inner, prefix: path + ".", fileName: fileName, into: &settings, problems: &problems)
            case .mapping where prefix.isEmpty:
                problems.append("\(origin): unknown section '\(key)'\(suggestion(for: key + ".x"))")
            case .mapping:
                problems.append("\(origin): \(path): expects a value, not a mapping")
            case .scalar(let scalar):
                // `key:` with nothing (null) reads as an empty value.
                let text = scalar.tag == Tag(.null) && scalar.style == .plain ? "" : scalar.string
                settings.append(Setting(path: path, value: .scalar(text), origin: origin))
            case .sequence(let sequence):
                var items: [String] = []
                for item in sequence {
                    guard case .scalar(let scalar) = item else {
                        problems.append("\(location(fileName, item)): \(path): list items must be plain values")
                        continue
                    }
                    items.append(scalar.string)
                }
                settings.append(Setting(path: path, value: .list(items), origin: origin))
            case .alias:
                problems.append("\(origin): \(path): YAML aliases are not supported")
            }
        }
    }

    private static func location(_ fileName: String, _ node: Node) -> String {
        node.mark.map { "\(fileName):\($0.line)" } ?? fileName
    }

    static func environmentSettings(_ environment: [String: String], problems: inout [String]) -> [Setting] {
        var settings: [Setting] = []
        for key in ConfigurationKey.all {
            if let value = environment[key.environmentName] {
                settings.append(Setting(path: key.path, value: .scalar(value), origin: key.environmentName))
            }
        }
        // An unknown RINGGATE_ variable is most likely a typo of a known one.
        let known = ConfigurationKey.all.map(\.environmentName)
        for name in environment.keys.sorted()
        where name.hasPrefix("RINGGATE_") && !known.contains(name) && !ignoredEnvironment.contains(name) {
            let hint = closestMatch(to: name, among: known).map { " (did you mean \($0)?)" } ?? ""
            problems.append("\(name): not a RingGate setting\(hint)")
        }
        return settings
    }

    /// Variables of the build and test setup that are not configuration.
    static let ignoredEnvironment: Set<String> = [
        "RINGGATE_WARNINGS_AS_ERRORS", "RINGGATE_TEST_WEDGE_SHARD", "RINGGATE_TAKEOVER_FD",
        "RINGGATE_TEST_TAKEOVER_CRASH", "RINGGATE_TEST_TAKEOVER_PAUSE_MS",
        "RINGGATE_FORCE_PEERNAME_FALLBACK", "RINGGATE_MEASURE_HANDOVER",
    ]

    static func overrideSettings(_ overrides: [String], problems: inout [String]) -> [Setting] {
        var settings: [Setting] = []
        for override in overrides {
            guard let equals = override.firstIndex(of: "=") else {
                problems.append("--set \(override): expects key=value, e.g. --set gateway.lan_ip=10.0.0.5")
                continue
            }
            let path = String(override[..<equals]).trimmingSpaces()
            let value = String(override[override.index(after: equals)...])
            settings.append(Setting(path: path, value: .scalar(value), origin: "--set \(path)"))
        }
        return settings
    }
}
