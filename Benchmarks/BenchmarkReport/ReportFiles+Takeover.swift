import Foundation

extension ReportFiles {
    func takeoverSections() -> [Section] {
        guard let run = results.takeover else { return [] }
        let goal = { (value: Int) in value == 0 ? "0 ✔" : "\(value) ✘" }
        let state = { (s: TakeoverClusterState) in
            "\(s.clientIDs) client_ids, \(s.uids) uids, \(s.groups) groups (\(s.groupMembers) members)"
        }
        let memory = { (m: ProcessMemory) in
            "RSS \(m.rssKB / 1024) MiB, RssAnon \(m.rssAnonKB / 1024) MiB, HugetlbPages \(m.hugetlbKB / 1024) MiB"
        }
        var figures: [[String]] = [
            [
                "run",
                String(
                    format: "%d clients on %d shards, %d chatting every %.0f ms, %d with session + uid + group; "
                        + "worker reconnect %d ms; upgrade after %.0f s, %.0f s of chat after it",
                    run.clients, run.shards, run.chatters, run.chatIntervalMilliseconds, run.clientsWithState,
                    run.workerReconnectMilliseconds, run.warmupSeconds, run.afterSeconds),
            ],
            [
                "`ringgate upgrade` (exit status, wall time, old process exited after)",
                "\(run.upgradeExitStatus), " + f("%.2f s", run.upgradeCommandSeconds) + ", "
                    + (run.oldExitSeconds.map { f("%.2f s", $0) } ?? "not exited")
                    + (run.oldExitStatus.map { " (status \($0))" } ?? ""),
            ],
            ["clients dropped (goal 0)", goal(run.clientsDropped)],
            ["… idle closed by the gateway / chatters closed", "\(run.idleClosed) / \(run.chatterDrops)"],
            [
                "idle clients open and answering an echo at the end",
                "\(run.idleVerifiedAtEnd) of \(run.idleOpenAtEnd) open (\(run.idleConnected) of "
                    + "\(run.clients - run.chatters) connected)",
            ],
            ["chat messages lost (goal 0)", goal(run.chatLost)],
            [
                "chat messages sent / echoed (rate achieved)",
                "\(run.chatSent) / \(run.chatEchoed)"
                    + (run.chatSeconds > 0 ? f(" (%.0f/s)", Double(run.chatSent) / run.chatSeconds) : ""),
            ],
            ["chat echoes duplicated / out of order", "\(run.chatDuplicated) / \(run.chatOutOfOrder)"],
            [
                "longest send → echo any chatter saw (goal < 1 s at 100k)",
                f("%.0f ms", run.longestEchoMilliseconds) + f(" (sent at %.1f s; ", run.longestEchoSentAt)
                    + f("upgrade ran %.1f", run.upgradeStartedAt) + f("–%.1f s)", run.upgradeEndedAt),
            ],
            ["longest send → echo before the upgrade", f("%.0f ms", run.longestEchoBeforeUpgradeMilliseconds)],
        ]
        if let upgrade = run.upgrade {
            figures.append([
                "upgrade report: clients handed over, total, longest shard pause",
                "\(upgrade.clients), " + f("%.2f s", upgrade.seconds) + ", \(upgrade.longestPauseMilliseconds) ms",
            ])
            figures.append([
                "… per shard (clients, pause)",
                upgrade.shards.map { "\($0.index): \($0.clients), \($0.pauseMilliseconds) ms" }.joined(separator: "; "),
            ])
        }
        figures += [
            ["gateway memory before (old pid \(run.oldPID))", memory(run.memoryBefore)],
            ["gateway memory after (new pid \(run.newPID))", memory(run.memoryAfter)],
            ["cluster state before (GatewayClient)", state(run.stateBefore)],
            ["cluster state after", state(run.stateAfter)],
            [
                "connections per shard after (new process's /status)",
                "[" + run.connectionsPerShardAfter.map(String.init).joined(separator: ",") + "]",
            ],
        ]
        figures.append([
            "new process's `ringgate_takeover…` metrics",
            (run.takeoverMetricsAfter ?? []).isEmpty
                ? "none exported" : (run.takeoverMetricsAfter ?? []).joined(separator: "; "),
        ])
        if !run.firstLostSendTimes.isEmpty {
            figures.append([
                "send times of the first lost chat messages (s)",
                run.firstLostSendTimes.prefix(20).map { f("%.2f", $0) }.joined(separator: ", "),
            ])
        }
        if !run.chatDropReasons.isEmpty {
            figures.append([
                "why chatters were closed",
                run.chatDropReasons.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "),
            ])
        }
        return [
            Section(title: "Live takeover (`ringgate upgrade` under load)", header: ["figure", "value"], rows: figures)
        ]
    }
}
