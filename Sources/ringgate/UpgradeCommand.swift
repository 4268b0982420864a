import ArgumentParser

/// `ringgate upgrade`: the running RingGate starts the binary now installed at its own path and hands it
/// every client connection — same TCP connections, client_ids, sessions, uids and groups — then exits.
struct UpgradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Hand every client of the running RingGate to a freshly installed binary, then exit the old one.",
        discussion: """
            Install the new binary over the old one's path first (the running process starts whatever is
            there now, with its own command line). The same as SIGUSR2 (systemctl kill -s USR2 ringgate).
            Clients keep their connections; workers reconnect to the new process within about a second and
            the events of that second are buffered, not lost. TLS clients are closed with WebSocket 1012
            (their sessions cannot move) and reconnect. Needs Linux 6.8 (IORING_OP_FIXED_FD_INSTALL).
            Exit status: 0 once the new process serves; 1 when the upgrade was refused or failed (the old
            process then still serves every client it held).
            """)

    @OptionGroup var options: AdminOptions

    func run() throws {
        try AdminClient.runAction("/upgrade", at: try options.address(), timeoutSeconds: 600)
    }
}
