import Glibc

/// The live line on the terminal during long phases (connections established, msgs/s), redrawn in
/// place; notes and results are printed on lines of their own above it.
final class ProgressLine {
    private var shown = false
    private let interactive = isatty(2) != 0

    func update(_ text: String) {
        if interactive {
            printError("\r\u{1B}[2K" + text, newline: false)
            shown = true
        }
    }

    func note(_ text: String) {
        clear()
        printError(text, newline: true)
    }

    func clear() {
        if shown {
            printError("\r\u{1B}[2K", newline: false)
            shown = false
        }
    }

    private func printError(_ text: String, newline: Bool) {
        let bytes = Array((text + (newline ? "\n" : "")).utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
