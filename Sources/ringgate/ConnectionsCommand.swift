import ArgumentParser
import Foundation
import RingGate
import RingGateService

/// `ringgate connections`: every client of the running gateway, like workerman's `php start.php
/// connections`. Pages of `/connections` are fetched and printed one at a time, so a million clients
/// never sit in memory at once, here or in the gateway.
struct ConnectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "List the running RingGate's clients (client_id, address, state, uid, groups, bytes, age).",
        discussion: """
            The table's columns: shard, client_id, remote address, listener, state (CONNECTING, ESTABLISHED,
            CLOSING, CLOSED as in workerman), uid, groups, bytes in, bytes out, queued bytes (accepted from
            workers, not yet taken by the kernel) and age. --json prints one JSON object per line instead.
            """
    )

    @OptionGroup var options: AdminOptions

    @Option(help: "Only this shard (default: every shard).")
    var shard: Int?

    @Flag(help: "One JSON object per connection and line (JSON Lines), with snake_case keys.")
    var json = false

    @Option(help: .private)
    var pageSize: Int = ConnectionsEndpoint.defaultPageSize

    func run() throws {
        let address = try options.address()
        var shard = self.shard ?? 0
        var cursor = 0
        var shardCount = shard + 1
        var listed = 0
        // Written straight to the descriptor like the rows (print() buffers, and would reorder them).
        let output = FileHandle.standardOutput
        if !json { output.write(Data((ConnectionRowFormat.header + "\n").utf8)) }
        while shard < shardCount {
            let (code, body) = try AdminClient.get(
                "/connections?shard=\(shard)&cursor=\(cursor)&limit=\(pageSize)", from: address)
            guard code == 200 else {
                throw ValidationError(
                    "\(options.admin)/connections answered \(code): "
                        + String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            let page = try JSONDecoder().decode(ConnectionsEndpoint.Document.self, from: Data(body))
            if self.shard == nil { shardCount = page.shards }
            var out = ""
            for row in page.connections {
                out +=
                    json
                    ? try ConnectionRowFormat.jsonLine(row, shard: shard) : ConnectionRowFormat.line(row, shard: shard)
                out += "\n"
            }
            output.write(Data(out.utf8))
            listed += page.connections.count
            if let next = page.nextCursor {
                cursor = next
            } else {
                shard += 1
                cursor = 0
            }
        }
        if !json { output.write(Data("\(listed) connection\(listed == 1 ? "" : "s")\n".utf8)) }
    }
}

/// How `ringgate connections` prints one row.
enum ConnectionRowFormat {
    static let columns: [(title: String, width: Int)] = [
        ("shard", 5), ("client_id", 20), ("remote", 21), ("listener", 28), ("state", 11), ("uid", 12),
        ("groups", 16), ("bytes in", 10), ("bytes out", 10), ("queued", 9), ("age", 9),
    ]

    static var header: String { format(columns.map(\.title)) }

    static func line(_ row: ConnectionListing, shard: Int) -> String {
        format([
            "\(shard)", row.clientID.isEmpty ? "-" : row.clientID, row.remote, row.listener, row.state,
            row.uid ?? "-", row.groups.isEmpty ? "-" : row.groups.joined(separator: ","), "\(row.bytesIn)",
            "\(row.bytesOut)", "\(row.queuedBytes)", StatusTable.duration(Double(row.ageSeconds)),
        ])
    }

    /// Cells padded to their column's width; a longer value widens its cell rather than being cut.
    static func format(_ cells: [String]) -> String {
        zip(cells, columns).map { cell, column in
            cell.count >= column.width ? cell : cell + String(repeating: " ", count: column.width - cell.count)
        }.joined(separator: " ").trimmingSuffix()
    }

    static func jsonLine(_ row: ConnectionListing, shard: Int) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(JSONRow(shard: shard, listing: row)), as: UTF8.self)
    }

    /// A listing with its shard, flattened into one object.
    private struct JSONRow: Encodable {
        var shard: Int
        var listing: ConnectionListing

        enum Keys: String, CodingKey { case shard }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(shard, forKey: .shard)
            try listing.encode(to: encoder)
        }
    }
}

extension String {
    fileprivate func trimmingSuffix() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
