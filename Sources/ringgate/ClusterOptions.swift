import ArgumentParser
import Logging

/// How a gateway or a worker finds the rest of the cluster: the Register(s) and the shared secret.
struct ClusterOptions: ParsableArguments {
    @Option(name: .customLong("register-address"), help: "Register address ip:port (repeat for several).")
    var registerAddresses: [String] = []

    /// The secret shared by gateways, workers, GatewayClient and the Register.
    @OptionGroup var secret: SecretKeyOptions
}

/// How a worker command (`echo-worker`, `worker-demo`) finds gateways and how many workers it runs.
struct WorkerOptions: ParsableArguments {
    @OptionGroup var cluster: ClusterOptions

    @Option(
        name: .customLong("gateway-address"),
        help: "Gateway inner address ip:port to connect to directly, instead of asking a Register (repeatable).")
    var gatewayAddresses: [String] = []

    @Option(help: "Worker processes to emulate (one thread and one connection per gateway each).")
    var count: Int = 1

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @OptionGroup var log: LogFormatOption

    func validate() throws {
        guard (1...1024).contains(count) else { throw ValidationError("--count must be between 1 and 1024") }
    }

    func makeLogger(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}
