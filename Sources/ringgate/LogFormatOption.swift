import ArgumentParser
import RingGateService

extension LogFormat: ExpressibleByArgument {}

/// `--log-format text|json` for the commands that take no config file (gateway, echo, register,
/// workers); `start` reads it as the `log_format` key instead.
struct LogFormatOption: ParsableArguments {
    @Option(help: "Log lines: text, or json (one object per line: time, level, label, source, message, metadata).")
    var logFormat: LogFormat = .text
}
