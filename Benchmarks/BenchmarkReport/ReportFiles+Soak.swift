import Foundation

extension ReportFiles {
    func soakSections() -> [Section] {
        guard let soak = results.soak else { return [] }
        let percent = { (value: Double?) in value.map { String(format: "%+.1f%%", $0) } ?? "n/a" }
        let goal = { (value: Int) in value == 0 ? "0 ✔" : "\(value) ✘" }
        let figures: [[String]] = [
            [
                "run",
                String(
                    format: "%.1f min, %d clients (%d chatting, %d never reading, %d churned per interval)",
                    soak.minutes, soak.clients, soak.chatters, soak.nonReaders, soak.churnPerInterval),
            ],
            ["gateway RSS growth after warm-up (\(Int(soak.warmupSeconds)) s → end)", percent(soak.rssGrowthPercent)],
            ["gateway connections growth after warm-up", percent(soak.connectionGrowthPercent)],
            ["chat messages lost while every worker was alive (goal 0)", goal(soak.loss.whileWorkersAlive)],
            ["chat messages lost in a worker-kill window (allowed)", "\(soak.loss.inKillWindow)"],
            ["chat messages lost in a worker-stall window", "\(soak.loss.inStallWindow)"],
            ["chat echoes duplicated / out of order", "\(soak.loss.duplicated) / \(soak.loss.outOfOrder)"],
            ["clients dropped other than on purpose (goal 0)", goal(soak.unintendedDrops)],
            [
                "… of which idle / churn / chat",
                ["idle", "churn", "chat"].map { "\(soak.dropsByKind[$0] ?? 0)" }.joined(separator: " / "),
            ],
            [
                "churn closes on purpose (reconnects that failed)",
                "\(soak.intendedCloses) (\(soak.churnReconnectFailures))",
            ],
            ["gateway crashes (goal 0; never restarted)", goal(soak.gatewayCrashes)],
            [
                "non-readers: messages sent / echoes read at the end / closed by the gateway",
                "\(soak.nonReaderMessagesSent) / \(soak.nonReaderEchoesReceived) / \(soak.nonReadersClosedByGateway)",
            ],
            [
                "GatewayClient broadcasts / queries (failed)",
                "\(soak.broadcasts) / \(soak.queries) (\(soak.queryFailures))",
            ],
            [
                "faults: worker kills / stalls / Register restarts",
                "\(soak.events.filter { $0.kind == .workerKilled }.count) / "
                    + "\(soak.events.filter { $0.kind == .workerStalled }.count) / "
                    + "\(soak.events.filter { $0.kind == .registerRestarted }.count)",
            ],
            [
                "inner connections per shard at the start (workers only) / before each worker kill (workers and "
                    + "the GatewayClient)",
                "[" + soak.innerLinksAtStart.map(String.init).joined(separator: ",") + "] / "
                    + soak.innerLinksBeforeKills.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }
                    .joined(separator: " "),
            ],
            ["harness descriptors start → end", "\(soak.harnessDescriptorsStart) → \(soak.harnessDescriptorsEnd)"],
        ]
        let minutes = soak.minuteFigures.map { m in
            [
                "\(m.minute + 1)", "\(m.sent)", "\(m.echoed)", f("%.1f", m.p50Milliseconds),
                f("%.1f", m.p99Milliseconds), f("%.1f", m.maxMilliseconds),
            ]
        }
        return [
            Section(title: "Soak", header: ["figure", "value"], rows: figures),
            Section(
                title: "Soak: relayed chat per minute (by send time)",
                header: ["minute", "sent", "echoed", "p50 ms", "p99 ms", "max ms"], rows: minutes),
        ]
    }

    /// Time-series charts; x labels every minute-ish so they stay readable.
    func soakCharts() -> [(name: String, svg: String)] {
        guard let soak = results.soak, !soak.samples.isEmpty else { return [] }
        let samples = soak.samples
        let labelEvery = max(1, samples.count / 10)
        let labels = samples.enumerated().map { index, sample in
            index % labelEvery == 0 ? String(format: "%.0fs", sample.seconds) : ""
        }
        var charts: [(String, String)] = [
            (
                "soak-memory.svg",
                SVGChart.lines(
                    title: "Soak: gateway RSS over time", xLabels: labels, yLabel: "MiB",
                    series: [.init(name: "RSS", values: samples.map { Double($0.gatewayRSSKB) / 1024 })])
            ),
            (
                "soak-connections.svg",
                SVGChart.lines(
                    title: "Soak: clients the gateway holds", xLabels: labels, yLabel: "clients",
                    series: [
                        .init(
                            name: "clients", values: samples.map { $0.connections >= 0 ? Double($0.connections) : nil })
                    ])
            ),
        ]
        if !soak.minuteFigures.isEmpty {
            charts.append(
                (
                    "soak-latency.svg",
                    SVGChart.lines(
                        title: "Soak: relayed chat latency per minute",
                        xLabels: soak.minuteFigures.map { "\($0.minute + 1)" },
                        yLabel: "ms",
                        series: [
                            .init(name: "p50", values: soak.minuteFigures.map { $0.p50Milliseconds }),
                            .init(name: "p99", values: soak.minuteFigures.map { $0.p99Milliseconds }),
                        ], logScale: true)
                ))
        }
        return charts
    }
}
