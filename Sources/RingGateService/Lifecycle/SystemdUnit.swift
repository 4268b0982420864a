/// Which systemd service runs a process, from its `/proc/PID/cgroup` and environment.
public enum SystemdUnit {
    /// The service unit of a process systemd started: its cgroup (v2 `0::/system.slice/x.service`, or
    /// v1's `name=systemd` line) ends in a `.service`, and systemd gave it an INVOCATION_ID. A shell's
    /// processes sit in `session-N.scope` or `user@UID.service/…/*.scope` and do not count.
    public static func of(cgroup: String, environment: [String]) -> String? {
        guard environment.contains(where: { $0.hasPrefix("INVOCATION_ID=") }) else { return nil }
        for line in cgroup.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[1].isEmpty || fields[1] == "name=systemd" else { continue }
            if let last = fields[2].split(separator: "/").last, last.hasSuffix(".service") { return String(last) }
        }
        return nil
    }
}
