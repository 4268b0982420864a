import Foundation
import Glibc

/// `ringgate status --watch`: the status table again every interval, like `php start.php status -d`,
/// until SIGINT or SIGTERM, which end it with status 0. An endpoint that stops answering is reported
/// in place and asked again next interval (a restart in another terminal does not end the watch).
enum StatusWatch {
    static func run(options: AdminOptions, json: Bool, intervalSeconds: Double) throws {
        // Blocked, then taken with sigtimedwait: the wait between refreshes is also the Ctrl-C check.
        SignalWaiter.blockTerminationSignals()
        let clear = isatty(STDOUT_FILENO) == 1 ? "\u{1B}[H\u{1B}[2J" : ""
        let milliseconds = Int(intervalSeconds * 1_000)
        while true {
            var screen = clear
            do {
                if json {
                    let (_, body) = try AdminClient.get("/status", from: try options.address(), timeoutSeconds: 5)
                    screen += String(decoding: body, as: UTF8.self)
                } else {
                    screen += StatusTable.render(try options.status())
                }
            } catch {
                screen += "\(options.admin) not answering: \(error)\n"
            }
            screen += "\nPress Ctrl+C to quit.\n\n"
            FileHandle.standardOutput.write(Data(screen.utf8))
            if SignalWaiter.waitForTermination(timeoutMilliseconds: milliseconds) != nil { return }
        }
    }
}
