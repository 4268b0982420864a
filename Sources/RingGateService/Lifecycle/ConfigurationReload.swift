import Glibc
import Logging
import RingGate
import Synchronization

/// What a reload did, as `ringgate reload` prints it.
public struct ReloadOutcome: Sendable, Equatable {
    /// The new certificates are in use (false: refused, the old ones stay).
    public var succeeded: Bool
    public var report: String

    public init(succeeded: Bool, report: String) {
        self.succeeded = succeeded
        self.report = report
    }
}

/// `ringgate reload` and SIGHUP: read the configuration again, load the TLS certificates and keys for
/// new handshakes (established connections keep their sessions), and say which other changed keys only
/// a restart applies. Bad new files change nothing: the error names them and the old ones stay.
public final class ConfigurationReload: Sendable {
    /// Keys a reload applies to the running process; every other changed key needs a restart.
    public static let liveKeyPrefixes = ["tls."]

    private let started: [String: String]
    private let gateway: GatewayServer?
    private let logger: Logger
    /// Reads the configuration's sources again (the file may have changed); nil when unreadable.
    private let readSources:
        @Sendable () -> (contents: String?, fileName: String, environment: [String: String], overrides: [String])?
    private let configureListener: @Sendable (ServiceConfiguration) -> (inout ListenerConfiguration) -> Void
    /// One reload at a time (SIGHUP and the admin endpoint may ask together).
    private let running = Mutex(())

    public init(
        startedWith settings: [String: String], gateway: GatewayServer?, logger: Logger,
        configureListener: @escaping @Sendable (ServiceConfiguration) -> (inout ListenerConfiguration) -> Void,
        readSources:
            @escaping @Sendable () -> (
                contents: String?, fileName: String, environment: [String: String], overrides: [String]
            )?
    ) {
        self.started = settings
        self.gateway = gateway
        self.logger = logger
        self.configureListener = configureListener
        self.readSources = readSources
    }

    public func run() -> ReloadOutcome {
        running.withLock { _ in reload() }
    }

    private func reload() -> ReloadOutcome {
        guard let sources = readSources() else {
            return refuse("cannot read the configuration file again; nothing changed")
        }
        let configuration: ServiceConfiguration
        do {
            configuration = try ConfigurationLoader.load(
                fileContents: sources.contents, fileName: sources.fileName, environment: sources.environment,
                overrides: sources.overrides)
        } catch {
            return refuse(
                "invalid configuration; nothing changed:\n" + error.problems.map { "  " + $0 }.joined(separator: "\n"))
        }
        var lines: [String] = []
        if let gateway {
            let listeners: [ListenerConfiguration]
            do {
                listeners = try configuration.gatewayConfiguration(configureListener: configureListener(configuration))
                    .listeners
                try gateway.reloadTLS(listeners)
            } catch {
                return refuse("certificates not reloaded, the old ones stay in use: \(error)")
            }
            for (index, context) in gateway.currentTLSContexts.enumerated() {
                guard let context else { continue }
                for certificate in context.certificates {
                    let days = (certificate.notAfter - Int64(time(nil))) / 86_400
                    lines.append(
                        "reloaded: \(listeners[index].scheme)://\(gateway.boundAddresses[index]) "
                            + "\(certificate.chainPath) (\(certificate.subject)), valid for \(days) more days")
                }
            }
        }
        let now = ConfigurationLoader.effectiveSettings(
            fileContents: sources.contents, environment: sources.environment, overrides: sources.overrides)
        let changed = Set(started.keys).union(now.keys).filter { started[$0] != now[$0] }.sorted()
        for key in changed where Self.liveKeyPrefixes.contains(where: key.hasPrefix) {
            lines.append("applied: \(key)")
        }
        let restart = changed.filter { key in !Self.liveKeyPrefixes.contains(where: key.hasPrefix) }
        for key in restart { lines.append("needs restart: \(key)") }
        if lines.isEmpty { lines.append("nothing to reload: no TLS listener and no changed key") }
        logger.info("reload", metadata: ["changed": "\(changed)", "needs_restart": "\(restart)"])
        return ReloadOutcome(succeeded: true, report: lines.joined(separator: "\n") + "\n")
    }

    private func refuse(_ message: String) -> ReloadOutcome {
        logger.error("reload refused: \(message)")
        return ReloadOutcome(succeeded: false, report: "error: " + message + "\n")
    }
}
