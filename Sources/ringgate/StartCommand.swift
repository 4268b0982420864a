import ArgumentParser
import Foundation
import Glibc
import Logging
import RingGate
import RingGateRuntime
import RingGateService

/// `ringgate start`: what the config describes, or with no config the embedded default (a Register on
/// 127.0.0.1:1238, a WebSocket gateway on 0.0.0.0:8282 with worker ports from 2900, and the demo chat
/// worker), until SIGTERM or SIGINT, which drain the clients and exit 0.
struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Run RingGate: the config file's Register, gateway and workers (no config: the embedded demo).",
        discussion: """
            Precedence: defaults < --config FILE < RINGGATE_<SECTION>_<KEY> environment < --set key=value.
            The example config (deploy/ringgate.yaml) documents every key. Under systemd (Type=notify) it
            reports READY=1, STOPPING=1 and WATCHDOG=1 over NOTIFY_SOCKET.
            """
    )

    @OptionGroup var source: ConfigurationSource

    @Flag(help: "Run in the background: detach, log to --log-file, print the pid once it is serving.")
    var daemon = false

    @Option(help: "Log file when --daemon is given.")
    var logFile: String = "ringgate.log"

    func run() throws {
        let configuration = try source.load()
        if daemon {
            try Daemon.detach(
                logFile: logFile, arguments: CommandLine.arguments.filter { $0 != "--daemon" },
                admin: configuration.admin.listen)
            return
        }
        SignalWaiter.blockTerminationSignals()
        configuration.logFormat.bootstrap()
        var logger = Logger(label: "ringgate")
        logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)

        let gatewayConfiguration =
            configuration.gateway.enabled
            ? try configuration.gatewayConfiguration(configureListener: DemoChatWiring.configureListener(configuration))
            : nil
        let takingOver = TakeoverSuccessor.requested(environment: ProcessInfo.processInfo.environment) != nil
        let findings = StartupChecks.run(configuration, gateway: gatewayConfiguration, takingOver: takingOver)
        for finding in findings {
            switch finding.severity {
            case .info: logger.info("\(finding.message)")
            case .warning: logger.warning("\(finding.message)")
            case .fatal: logger.critical("\(finding.message)")
            }
        }
        if findings.contains(where: { $0.severity == .fatal }) {
            throw ExitCode(78)  // EX_CONFIG: systemd's Restart=on-failure will not loop on it forever
        }
        let service: Service
        let successor: TakeoverSuccessor?
        do {
            // Started by `ringgate upgrade`: take the old process's sockets and clients instead of binding.
            var inherited: InheritedSockets?
            if let descriptor = TakeoverSuccessor.requested(environment: ProcessInfo.processInfo.environment) {
                let taking = try TakeoverSuccessor(
                    descriptor: descriptor, configuration: configuration, gateway: gatewayConfiguration,
                    logger: logger)
                inherited = try taking.receiveListeners()
                successor = taking
            } else {
                successor = nil
            }
            service = try Service(
                configuration: configuration, gatewayConfiguration: gatewayConfiguration, logger: logger,
                launchWorkers: DemoChatWiring.launcher, inherited: inherited)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        if let successor {
            // NotifyAccess=all: this process becomes the unit's main process before the old one exits.
            let outcome = successor.adoptShards(into: service) { notifier?.notify("MAINPID=\(getpid())") }
            switch outcome {
            case .completed:
                logger.info("takeover complete: this process serves every client")
            case .oldProcessGone:
                logger.warning("the old process went away during the takeover; serving what was adopted")
            case .abandoned(let reason):
                logger.error("the old process abandoned the takeover (\(reason)); exiting")
                service.handedOver.store(true, ordering: .releasing)
                service.shutdown()
                throw ExitCode(1)
            }
        }
        notifier?.notify("READY=1\nSTATUS=serving on \(service.gatewayAddresses.map(\.description))")
        let watchdog = Watchdog.start(notifier: notifier, service: service, logger: logger)
        TestHooks.apply(to: service.figures.gateway, logger: logger)
        let reload = makeReload(configuration, gateway: service.figures.gateway, logger: logger)
        service.figures.reloadHandler.withLock { $0 = { reload.run() } }
        let arguments = CommandLine.arguments.filter { $0 != "--daemon" }
        service.figures.upgradeHandler.withLock {
            $0 = {
                let report = service.upgrade(arguments: arguments)
                // Handed over: wake the main thread (waiting for a signal) to exit.
                if report.succeeded { kill(getpid(), SIGTERM) }
                return report
            }
        }
        let termination = SignalWaiter.waitForTermination(
            onHangup: {
                let outcome = reload.run()
                for line in outcome.report.split(separator: "\n") {
                    if outcome.succeeded { logger.info("\(line)") } else { logger.error("\(line)") }
                }
            },
            onUpgrade: {
                // SIGUSR2: the same as `ringgate upgrade`; the outcome is in the log.
                service.upgrade(arguments: arguments).succeeded
            })
        if service.handedOver.load(ordering: .acquiring) {
            logger.info("clients handed over to the new process: exiting")
            watchdog?.stop()
            service.shutdown()
            // An operator's SIGTERM/SIGINT that came while the clients were being handed over (pending behind a
            // SIGUSR2 upgrade, or arriving until now) is meant for them: the new process gets it.
            let operatorStop = [termination, SignalWaiter.waitForTermination(timeoutMilliseconds: 0)].contains {
                $0.map { !$0.isOwn } ?? false
            }
            if operatorStop { service.passStopToSuccessor() }
            return
        }
        logger.info("termination signal: shutting down")
        notifier?.notify("STOPPING=1")
        let deadline = configuration.gateway.drainSeconds + ShutdownGuard.graceSeconds
        // A takeover under way finishes before the drain (the clients may be the new process's already).
        ShutdownGuard.run(deadlineSeconds: deadline, logger: logger, postponedWhile: { service.isUpgrading }) {
            watchdog?.stop()
            service.shutdown()
        }
    }
}

extension StartCommand {
    /// The reload SIGHUP and `ringgate reload` run: the same sources read again.
    func makeReload(_ configuration: ServiceConfiguration, gateway: GatewayServer?, logger: Logger)
        -> ConfigurationReload
    {
        let source = source
        let environment = ProcessInfo.processInfo.environment
        let contents = (try? source.contents()) ?? nil
        return ConfigurationReload(
            startedWith: ConfigurationLoader.effectiveSettings(
                fileContents: contents, environment: environment, overrides: source.allOverrides),
            gateway: gateway, logger: logger, configureListener: { DemoChatWiring.configureListener($0) },
            readSources: {
                let contents: String?
                do { contents = try source.contents() } catch { return nil }
                return (contents, source.config ?? "config", environment, source.allOverrides)
            })
    }
}

/// Where a configuration comes from; shared by `start` and `check-config`.
struct ConfigurationSource: ParsableArguments {
    @Option(name: .shortAndLong, help: "YAML config file (see deploy/ringgate.yaml).")
    var config: String?

    @Option(name: .customLong("set"), help: "Override one key, e.g. --set gateway.lan_ip=10.0.0.5 (repeatable).")
    var overrides: [String] = []

    @Option(help: "Log lines: text or json (the log_format key; same as --set log_format=…).")
    var logFormat: String?

    @Option(help: "Certificate chain (PEM) for TLS listeners: same as --set tls.local_cert=PATH.")
    var tlsCertificate: String?

    @Option(help: "Its private key (PEM): same as --set tls.local_pk=PATH.")
    var tlsPrivateKey: String?

    /// `--set` flags with the TLS and log-format flags turned into theirs.
    var allOverrides: [String] {
        overrides + (tlsCertificate.map { ["tls.local_cert=\($0)"] } ?? [])
            + (tlsPrivateKey.map { ["tls.local_pk=\($0)"] } ?? []) + (logFormat.map { ["log_format=\($0)"] } ?? [])
    }

    /// The config file's text (nil without one).
    func contents() throws -> String? {
        guard let config else { return nil }
        guard let data = FileManager.default.contents(atPath: config) else {
            throw ValidationError("cannot read config file \(config)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    func load() throws -> ServiceConfiguration {
        let contents = try contents()
        let overrides = allOverrides
        do {
            return try ConfigurationLoader.load(
                fileContents: contents, fileName: config ?? "config",
                environment: ProcessInfo.processInfo.environment,
                overrides: overrides)
        } catch {
            let text = "error: invalid configuration:\n" + error.problems.map { "  " + $0 }.joined(separator: "\n")
            FileHandle.standardError.write(Data((text + "\n").utf8))
            throw ExitCode(78)  // EX_CONFIG, as for a fatal startup finding
        }
    }
}

/// `ringgate check-config`: load and check a configuration without starting anything.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Check a configuration (file, environment, --set) and the host.")

    @OptionGroup var source: ConfigurationSource

    @Flag(help: "Print the reference of every key (docs/configuration.md) and exit.")
    var printReference = false

    func run() throws {
        if printReference {
            print(ConfigurationKeyReference.markdown, terminator: "")
            return
        }
        let configuration = try source.load()
        let gateway = configuration.gateway.enabled ? try configuration.gatewayConfiguration() : nil
        let findings = StartupChecks.run(configuration, gateway: gateway)
        for finding in findings { print(finding) }
        print(findings.contains { $0.severity == .fatal } ? "configuration valid, host not ready" : "configuration ok")
        if findings.contains(where: { $0.severity == .fatal }) { throw ExitCode(78) }
    }
}
