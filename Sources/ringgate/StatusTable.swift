import RingGateService

/// The text `ringgate status` prints.
enum StatusTable {
    static func render(_ status: StatusDocument) -> String {
        var out =
            "RingGate \(status.version)  pid \(status.pid)  \(status.state)  up \(duration(status.uptimeSeconds))\n"
        out +=
            "memory: rss \(bytes(status.memory.rssBytes))  anon \(bytes(status.memory.rssAnonBytes))  "
            + "huge pages \(bytes(status.memory.hugetlbBytes))\n"
        if !status.listeners.isEmpty { out += "listening: \(status.listeners.joined(separator: " "))\n" }
        if !status.workerAddresses.isEmpty {
            out += "workers connect to: \(status.workerAddresses.joined(separator: " "))\n"
        }
        if let register = status.register {
            out +=
                "register \(register.listen): \(register.gatewaysRegistered) gateway addresses, "
                + "\(register.workersConnected) workers, \(register.badRequests) bad requests\n"
        }
        if status.shardsNotAnswering > 0 { out += "WARNING: \(status.shardsNotAnswering) shard(s) did not answer\n" }
        let headers = [
            "shard", "conns", "msgs in", "msgs out", "bytes in", "bytes out", "send fail", "buf full", "bad input",
            "workers", "register", "slab", "pages",
        ]
        var rows: [[String]] = status.shards.map { shard in
            [
                "\(shard.index)", "\(shard.connections)", "\(shard.messagesIn)", "\(shard.messagesOut)",
                bytes(shard.bytesIn), bytes(shard.bytesOut), "\(shard.sendFailures)", "\(shard.sendQueueDrops)",
                "\(shard.badInputCloses)", "\(shard.workersConnected)", shard.registerConnected > 0 ? "up" : "down",
                bytes(UInt64(shard.slabBytes)), shard.hugePages ? "huge" : "fallback",
            ]
        }
        let shards = status.shards
        rows.append([
            "total", "\(shards.map(\.connections).reduce(0, +))", "\(shards.map(\.messagesIn).reduce(0, +))",
            "\(shards.map(\.messagesOut).reduce(0, +))", bytes(shards.map(\.bytesIn).reduce(0, +)),
            bytes(shards.map(\.bytesOut).reduce(0, +)), "\(shards.map(\.sendFailures).reduce(0, +))",
            "\(shards.map(\.sendQueueDrops).reduce(0, +))", "\(shards.map(\.badInputCloses).reduce(0, +))",
            "\(shards.map(\.workersConnected).reduce(0, +))", "", bytes(UInt64(shards.map(\.slabBytes).reduce(0, +))),
            "",
        ])
        let widths = headers.indices.map { column in
            max(headers[column].count, rows.map { $0[column].count }.max() ?? 0)
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { cell, width in String(repeating: " ", count: width - cell.count) + cell }
                .joined(separator: "  ") + "\n"
        }
        out += line(headers)
        out += line(widths.map { String(repeating: "-", count: $0) })
        for row in rows { out += line(row) }
        return out
    }

    static func bytes(_ value: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var scaled = Double(value)
        var unit = 0
        while scaled >= 1024 && unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : "\((scaled * 10).rounded() / 10) \(units[unit])"
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds)
        let (days, hours, minutes, rest) = (total / 86_400, total / 3_600 % 24, total / 60 % 60, total % 60)
        return days > 0
            ? "\(days)d \(hours)h \(minutes)m" : hours > 0 ? "\(hours)h \(minutes)m \(rest)s" : "\(minutes)m \(rest)s"
    }
}
