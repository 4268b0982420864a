import Foundation

/// report.md, the terminal table and the SVG charts of one run.
public struct ReportFiles {
    public var results: BenchmarkResults

    public init(results: BenchmarkResults) { self.results = results }

    public func write(to folder: URL) throws {
        for (name, svg) in charts() {
            try svg.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try markdown().write(to: folder.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)
    }

    // MARK: Tables

    /// The final table printed on the terminal (plain text, one section per scenario).
    public func table() -> String {
        var lines: [String] = []
        for section in sections() {
            lines.append("")
            lines.append(section.title)
            let widths = section.header.indices.map { column in
                ([section.header[column]] + section.rows.map { $0[column] }).map(\.count).max() ?? 0
            }
            let format = { (cells: [String]) in
                zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            }
            lines.append(format(section.header))
            lines += section.rows.map(format)
        }
        return lines.joined(separator: "\n")
    }

    struct Section {
        var title: String
        var header: [String]
        var rows: [[String]]
    }

    func sections() -> [Section] {
        var sections: [Section] = []
        if !results.idle.isEmpty {
            sections.append(
                Section(
                    title: "Idle connections",
                    header: [
                        "server", "established", "failures", "verified (start/end)", "time", "connects/s",
                        "start check",
                        "gateway / generator µs CPU/conn", "RssAnon B/conn", "RSS B/conn", "HugetlbPages",
                        "all-in B/conn", "kernel B/conn", "PHP B/conn ÷ this",
                    ],
                    rows: results.idle.map { r in
                        [
                            r.server, "\(r.established)/\(r.requested)",
                            "\(r.connectFailures + r.handshakeFailures + (r.timedOut ?? 0))",
                            "\(r.verifiedAtEstablish)/\(r.verifiedAtEnd)", f("%.1f s", r.establishSeconds),
                            f("%.0f", r.connectsPerSecond),
                            r.startCheckSeconds.map { f("%.1f s", $0) } ?? "while connecting",
                            r.gatewayMicrosecondsPerConnection.map {
                                f("%.1f / ", $0) + f("%.1f", r.generatorMicrosecondsPerConnection ?? 0)
                            } ?? "", f("%.0f", r.bytesPerConnection), f("%.0f", r.rssBytesPerConnection),
                            "\(r.memoryAfter.hugetlbKB) kB", f("%.0f", r.allInBytesPerConnection),
                            f("%.0f", r.kernelBytesPerConnection),
                            phpRatio(r).map { f("%.1f×", $0) } ?? "",
                        ]
                    }))
        }
        if !results.echo.isEmpty {
            sections.append(
                Section(
                    title: "Echo (64-byte messages unless stated)",
                    header: [
                        "mode", "server", "conns×in flight", "msgs/s", "msgs/gateway CPU-s", "ns CPU/msg",
                        "gateway CPU",
                        "p50 µs", "p99 µs", "p999 µs", "data segs/msg (to workers)", "vs NIO", "vs C reference",
                        "vs PHP",
                    ],
                    rows: results.echo.map { r in
                        [
                            r.mode, r.server,
                            "\(r.connections)×\(r.inFlight)" + (r.repetition.map { ", pass \($0)" } ?? ""),
                            f("%.0f", r.messagesPerSecond),
                            f("%.0f", r.messagesPerCPUSecond), f("%.0f", r.cpuNanosecondsPerMessage),
                            f("%.0f%%", r.gatewayCPUPercent) + (r.saturated ? "" : " (not saturated)"),
                            f("%.0f", r.latencyMicroseconds.p50), f("%.0f", r.latencyMicroseconds.p99),
                            f("%.0f", r.latencyMicroseconds.p999),
                            (r.clientSegmentsPerMessage.map { f("%.2f", $0) } ?? "")
                                + (r.workerSegmentsPerMessage.map { f(" (%.2f)", $0) } ?? ""),
                            nioRatio(r).map { f("%.2f×", $0) } ?? "",
                            referenceRatio(r).map { f("%.2f×", $0) } ?? "", phpRatio(r).map { f("%.2f×", $0) } ?? "",
                        ]
                    }))
        }
        if let repeated = repeatedEchoSection() { sections.append(repeated) }
        if !results.broadcast.isEmpty {
            sections.append(
                Section(
                    title: "Broadcast (send to last receipt, per round)",
                    header: [
                        "kind", "server", "clients", "recipients", "bytes", "p50 ms", "max ms", "deliveries/s",
                        "µs gateway CPU/delivery", "data segs/delivery", "missing", "vs C reference", "vs PHP",
                        "clients woken", "pass",
                    ],
                    rows: results.broadcast.map { r in
                        [
                            r.kind, r.server, "\(r.clients)", "\(r.recipients)", "\(r.messageSize)",
                            f("%.2f", r.completionMilliseconds.p50), f("%.2f", r.completionMilliseconds.max),
                            f("%.0f", r.deliveriesPerSecond), f("%.3f", r.cpuMicrosecondsPerDelivery),
                            r.segmentsPerDelivery.map { f("%.2f", $0) } ?? "", "\(r.missing)",
                            referenceRatio(r).map { f("%.2f×", $0) } ?? "", phpRatio(r).map { f("%.2f×", $0) } ?? "",
                            r.generatorBatchWaitMicroseconds.map { "batched, ≤ \($0) µs" } ?? "per delivery",
                            r.repetition.map { "\($0)" } ?? "",
                        ]
                    }))
        }
        if let repeated = repeatedBroadcastSection() { sections.append(repeated) }
        if !results.churn.isEmpty {
            sections.append(
                Section(
                    title: "Churn (open + handshake + close)",
                    header: ["server", "concurrency", "per second", "completed", "failed", "RssAnon before → after"],
                    rows: results.churn.map { r in
                        [
                            r.server, "\(r.concurrency)", f("%.0f", r.perSecond), "\(r.completed)", "\(r.failed)",
                            "\(r.memoryBefore.rssAnonKB) → \(r.memoryAfter.rssAnonKB) kB",
                        ]
                    }))
        }
        sections += soakSections()
        sections += takeoverSections()
        return sections
    }

    /// The C io_uring reference programs' name in results (Benchmarks/Reference).
    public static let referenceServer = "C reference"

    /// The real PHP GatewayWorker stack's name in results (`--php-gatewayworker`).
    public static let phpServer = "PHP GatewayWorker"

    /// RingGate's messages per gateway CPU-second over NIO's at the same point.
    func nioRatio(_ result: EchoResult) -> Double? { echoRatio(result, over: "NIO") }

    /// RingGate's messages per gateway CPU-second as a fraction of the C reference's at the same point
    /// (1.00× = the kernel's limit for this work on this machine).
    func referenceRatio(_ result: EchoResult) -> Double? { echoRatio(result, over: Self.referenceServer) }

    /// RingGate's messages per gateway CPU-second over PHP's at the same point, taken in the same run.
    func phpRatio(_ result: EchoResult) -> Double? { echoRatio(result, over: Self.phpServer) }

    /// RingGate's messages per gateway CPU-second over `server`'s at the same mode, connections and in-flight.
    /// From the same pass when the point was measured several times (NIO and PHP are measured once).
    private func echoRatio(_ result: EchoResult, over server: String) -> Double? {
        guard result.server == "RingGate" else { return nil }
        let samePoint = results.echo.filter {
            $0.server == server && $0.mode == result.mode && $0.connections == result.connections
                && $0.inFlight == result.inFlight
        }
        guard let other = samePoint.first(where: { $0.repetition == result.repetition }) ?? samePoint.first,
            other.messagesPerCPUSecond > 0
        else { return nil }
        return result.messagesPerCPUSecond / other.messagesPerCPUSecond
    }

    /// Echo points measured in several passes: RingGate against the C reference pass by pass, and the median.
    func repeatedEchoSection() -> Section? {
        pairedSection(
            "Echo", results.echo, server: \.server, repetition: \.repetition,
            point: (["mode", "conns×in flight"], { [$0.mode, "\($0.connections)×\($0.inFlight)"] }),
            figure: ("msgs/CPU-s", \.messagesPerCPUSecond, "%.0f"), ratio: referenceRatio)
    }

    /// RingGate's gateway CPU per sendToAll delivery against the C fan-out reference's at the same client count,
    /// as a fraction (reference CPU ÷ RingGate CPU; 1.00× = as cheap as the reference).
    func referenceRatio(_ result: BroadcastResult) -> Double? {
        guard result.kind == "sendToAll" else { return nil }
        return broadcastRatio(result, over: Self.referenceServer)
    }

    /// PHP's gateway CPU per delivery over RingGate's for the same kind at the same client count (how many times
    /// less CPU RingGate spends per delivered message).
    func phpRatio(_ result: BroadcastResult) -> Double? { broadcastRatio(result, over: Self.phpServer) }

    /// `server`'s gateway CPU per delivery over RingGate's for the same kind and client count, from the
    /// same pass when the point was measured several times (PHP is measured once).
    private func broadcastRatio(_ result: BroadcastResult, over server: String) -> Double? {
        guard result.server == "RingGate", result.cpuMicrosecondsPerDelivery > 0 else { return nil }
        let samePoint = results.broadcast.filter {
            $0.server == server && $0.kind == result.kind && $0.clients == result.clients
        }
        guard let other = samePoint.first(where: { $0.repetition == result.repetition }) ?? samePoint.first,
            other.cpuMicrosecondsPerDelivery > 0
        else { return nil }
        return other.cpuMicrosecondsPerDelivery / result.cpuMicrosecondsPerDelivery
    }

    /// Broadcast points measured in several passes: RingGate against the C reference pass by pass, and the median.
    func repeatedBroadcastSection() -> Section? {
        pairedSection(
            "Broadcast", results.broadcast, server: \.server, repetition: \.repetition,
            point: (["kind", "clients"], { [$0.kind, "\($0.clients)"] }),
            figure: ("µs/delivery", \.cpuMicrosecondsPerDelivery, "%.3f"), ratio: referenceRatio)
    }

    /// One row per point RingGate was measured at in several passes (`point`: its leading columns and
    /// cells): the medians of `figure` for RingGate and the reference, each pass's ratio, and the median
    /// ratio; nil when no point was.
    private func pairedSection<Result>(
        _ scenario: String, _ all: [Result], server: (Result) -> String, repetition: (Result) -> Int?,
        point: (columns: [String], cells: (Result) -> [String]),
        figure: (unit: String, value: (Result) -> Double, format: String), ratio: (Result) -> Double?
    ) -> Section? {
        let repeated = all.filter { server($0) == "RingGate" && repetition($0) != nil }
        var points: [[String]] = []
        for result in repeated where !points.contains(point.cells(result)) { points.append(point.cells(result)) }
        let rows: [[String]] = points.compactMap { key in
            let passes = repeated.filter { point.cells($0) == key }
            let ratios = passes.compactMap(ratio).sorted()
            guard !ratios.isEmpty else { return nil }
            let reference = all.filter { server($0) == Self.referenceServer && point.cells($0) == key }
            return key + [
                "\(ratios.count)", f(figure.format, Self.median(passes.map(figure.value))),
                f(figure.format, Self.median(reference.map(figure.value))),
                ratios.map { f("%.2f×", $0) }.joined(separator: " "), f("%.2f×", Self.median(ratios)),
            ]
        }
        guard !rows.isEmpty else { return nil }
        return Section(
            title: "\(scenario) against the C reference, pass by pass (order alternated)",
            header: point.columns + [
                "passes", "RingGate \(figure.unit) (median)", "C reference \(figure.unit) (median)",
                "vs C reference, each pass", "median",
            ],
            rows: rows)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// PHP's user memory per idle connection over RingGate's (PHP holds at most ~1,000 per process, so the
    /// connection counts differ; both are per connection).
    func phpRatio(_ result: IdleResult) -> Double? {
        guard result.server == "RingGate", result.bytesPerConnection > 0,
            let php = results.idle.first(where: { $0.server == Self.phpServer }), php.bytesPerConnection > 0
        else { return nil }
        return php.bytesPerConnection / result.bytesPerConnection
    }

    func f(_ format: String, _ value: Double) -> String { String(format: format, value) }

    // MARK: Markdown

    public func markdown() -> String {
        var text = "# RingGate benchmark report\n\n"
        text +=
            "Commit `\(results.commit)`, \(results.date), \(results.machine.cpus) CPUs (\(results.machine.cpuModel)), "
        text += "Linux \(results.machine.kernel), \(results.machine.memoryKB / 1024) MiB.\n\n"
        for section in sections() {
            text += "## \(section.title)\n\n"
            text += "| " + section.header.joined(separator: " | ") + " |\n"
            text += "|" + String(repeating: " --- |", count: section.header.count) + "\n"
            for row in section.rows { text += "| " + row.joined(separator: " | ") + " |\n" }
            text += "\n"
        }
        let chartNames = charts().map(\.name)
        if !chartNames.isEmpty {
            text += "## Charts\n\n"
            for name in chartNames { text += "![\(name)](\(name))\n\n" }
        }
        if !results.notes.isEmpty {
            text += "## Notes\n\n" + results.notes.map { "- \($0)\n" }.joined() + "\n"
        }
        text += "## Configuration\n\n| option | value |\n| --- | --- |\n"
        for key in results.configuration.keys.sorted() {
            text += "| \(key) | `\(results.configuration[key]!)` |\n"
        }
        return text
    }

    // MARK: Charts

    public func charts() -> [(name: String, svg: String)] {
        var charts: [(String, String)] = []
        let counts = Array(Set(results.echo.map(\.connections))).sorted()
        let echoSeries = Array(Set(results.echo.map { "\($0.server) \($0.mode)" })).sorted()
        if !results.echo.isEmpty {
            let single = results.echo.filter { $0.inFlight == 1 }
            let series = { (value: (EchoResult) -> Double) in
                echoSeries.map { name in
                    SVGChart.Series(
                        name: name,
                        values: counts.map { count in
                            single.first { "\($0.server) \($0.mode)" == name && $0.connections == count }.map(value)
                        })
                }.filter { $0.values.contains { $0 != nil } }
            }
            charts.append(
                (
                    "echo-throughput.svg",
                    SVGChart.lines(
                        title: "Echo: messages per gateway CPU-second", xLabels: counts.map { "\($0) conns" },
                        yLabel: "messages / CPU-second", series: series(\.messagesPerCPUSecond))
                ))
            charts.append(
                (
                    "echo-rate.svg",
                    SVGChart.lines(
                        title: "Echo: messages per second", xLabels: counts.map { "\($0) conns" },
                        yLabel: "messages / s",
                        series: series(\.messagesPerSecond))
                ))
            charts.append(
                (
                    "echo-cpu-per-message.svg",
                    SVGChart.lines(
                        title: "Echo: gateway CPU per message", xLabels: counts.map { "\($0) conns" },
                        yLabel: "ns of gateway CPU / message", series: series(\.cpuNanosecondsPerMessage))
                ))
            charts.append(
                (
                    "echo-latency.svg",
                    SVGChart.bars(
                        title: "Echo latency percentiles",
                        rowLabels: results.echo.map { "\($0.server) \($0.mode) \($0.connections)×\($0.inFlight)" },
                        seriesNames: ["p50", "p99", "p99.9"],
                        values: results.echo.map {
                            [$0.latencyMicroseconds.p50, $0.latencyMicroseconds.p99, $0.latencyMicroseconds.p999]
                        }, unit: "µs", logScale: true)
                ))
        }
        if !results.idle.isEmpty {
            charts.append(
                (
                    "memory-per-connection.svg",
                    SVGChart.bars(
                        title: "Memory per idle WebSocket connection",
                        rowLabels: results.idle.map { "\($0.server) (\($0.established) conns)" },
                        seriesNames: ["user space (RssAnon)", "RSS", "kernel (slab + TCP)"],
                        values: results.idle.map {
                            [$0.bytesPerConnection, $0.rssBytesPerConnection, $0.kernelBytesPerConnection]
                        }, unit: "bytes per connection", logScale: true)
                ))
        }
        let all = results.broadcast.filter { $0.kind == "sendToAll" }
        if !all.isEmpty {
            let clientCounts = Array(Set(all.map(\.clients))).sorted()
            let servers = Array(Set(all.map(\.server))).sorted()
            charts.append(
                (
                    "broadcast.svg",
                    SVGChart.lines(
                        title: "sendToAll: send to last receipt (median round)", xLabels: clientCounts.map { "\($0)" },
                        yLabel: "ms",
                        series: servers.map { server in
                            SVGChart.Series(
                                name: server,
                                values: clientCounts.map { count in
                                    all.first { $0.server == server && $0.clients == count }?.completionMilliseconds.p50
                                })
                        })
                ))
        }
        return charts + soakCharts()
    }
}
