import ArgumentParser
import Foundation
import Logging
import RingGateService

/// Where a plain command (`gateway`, `register`, `echo-worker`, `worker-demo`) takes the shared secret
/// from, in increasing precedence: `RINGGATE_SECRET_KEY`, `--secret-key-file`, `--secret-key`. A file or
/// the environment keeps it out of `ps`; `--secret-key` still works but says so.
struct SecretKeyOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Secret key on the command line: visible to every user in ps. Prefer --secret-key-file or "
                + "RINGGATE_SECRET_KEY.", valueName: "secret"))
    var secretKey: String?

    @Option(
        help: ArgumentHelp(
            "File holding the secret key (one line; e.g. a systemd credential, %d/secret_key).", valueName: "path"))
    var secretKeyFile: String?

    /// The environment variable the plain commands read the secret from.
    static let environmentName = "RINGGATE_SECRET_KEY"

    /// The secret (empty: none, GatewayWorker's default). A bad file is logged and ends the process with
    /// EX_CONFIG (78), so systemd's Restart=on-failure does not loop on it.
    func resolve(logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> String
    {
        if secretKey != nil && secretKeyFile != nil {
            logger.critical("give --secret-key or --secret-key-file, not both")
            throw ExitCode(78)
        }
        if let secretKey {
            let alternatives = "--secret-key-file or \(Self.environmentName) instead"
            logger.warning(
                "--secret-key is visible to every user of this host (ps, /proc/PID/cmdline): use \(alternatives)")
            return secretKey
        }
        if let secretKeyFile {
            do {
                let secret = try SecretKeyFile.read(secretKeyFile)
                if let warning = SecretKeyFile.permissionWarning(secretKeyFile) { logger.warning("\(warning)") }
                return secret
            } catch {
                logger.critical("\(error.message)")
                throw ExitCode(78)
            }
        }
        return environment[Self.environmentName] ?? ""
    }
}
