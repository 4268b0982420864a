import RingGateService
import Testing

/// `ringgate restart` defers to `systemctl restart` only for a process systemd runs as a service.
@Suite struct SystemdUnitTests {
    @Test func recognisesAServiceAndNotAShell() {
        let invocation = ["INVOCATION_ID=0123456789abcdef", "PATH=/usr/bin"]
        #expect(
            SystemdUnit.of(cgroup: "0::/system.slice/ringgate.service\n", environment: invocation) == "ringgate.service"
        )
        #expect(
            SystemdUnit.of(
                cgroup: "12:pids:/system.slice/gw.service\n1:name=systemd:/system.slice/gw.service\n",
                environment: invocation) == "gw.service")
        // A login shell, a user session's terminal, a container without systemd.
        #expect(SystemdUnit.of(cgroup: "0::/user.slice/user-0.slice/session-3.scope\n", environment: invocation) == nil)
        #expect(
            SystemdUnit.of(
                cgroup: "0::/user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1.scope\n",
                environment: invocation) == nil)
        #expect(SystemdUnit.of(cgroup: "0::/\n", environment: invocation) == nil)
        // systemd-run --scope or a copied cgroup without INVOCATION_ID: not a unit systemd restarts.
        #expect(SystemdUnit.of(cgroup: "0::/system.slice/ringgate.service\n", environment: ["PATH=/usr/bin"]) == nil)
    }
}
