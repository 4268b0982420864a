import Foundation
import RingGate

/// `GET /connections?shard=N&cursor=C&limit=L`: one page of one shard's clients as JSON, for
/// `ringgate connections`. A page is taken on the shard's thread through its mailbox (one bounded scan,
/// see `ClientShard.connectionPage`), so listing a million clients is many short requests, never one
/// long stall of a shard or one huge document.
public enum ConnectionsEndpoint {
    public static let defaultPageSize = 1_000

    /// The JSON body of one page (snake_case keys).
    public struct Document: Codable, Equatable, Sendable {
        public var shard: Int
        public var shards: Int
        /// Pass as `cursor` for the next page of this shard; null once the shard is done.
        public var nextCursor: Int?
        public var connections: [ConnectionListing]

        enum CodingKeys: String, CodingKey {
            case shard, shards, nextCursor = "next_cursor", connections
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(shard, forKey: .shard)
            try container.encode(shards, forKey: .shards)
            try container.encode(nextCursor, forKey: .nextCursor)
            try container.encode(connections, forKey: .connections)
        }
    }

    static func respond(to request: AdminServer.Request, gateway: GatewayServer?) -> AdminServer.Response {
        guard let gateway else { return AdminServer.Response(status: 404, text: "no gateway in this process\n") }
        var parameters: [String: Int] = [:]
        for pair in request.query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, ["shard", "cursor", "limit"].contains(parts[0]), let value = Int(parts[1]),
                value >= 0
            else {
                return AdminServer.Response(
                    status: 400, text: "bad parameter '\(pair.prefix(64))': use shard, cursor, limit (integers >= 0)\n")
            }
            parameters[String(parts[0])] = value
        }
        let shardCount = gateway.configuration.shardCount
        let shard = parameters["shard"] ?? 0
        guard shard < shardCount else {
            return AdminServer.Response(status: 404, text: "no shard \(shard): shards are 0..<\(shardCount)\n")
        }
        let limit = min(max(parameters["limit"] ?? defaultPageSize, 1), ClientShard.maxConnectionPageSize)
        guard let page = gateway.connectionPage(shard: shard, cursor: parameters["cursor"] ?? 0, limit: limit) else {
            return AdminServer.Response(status: 503, text: "shard \(shard) did not answer\n")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let document = Document(
            shard: shard, shards: shardCount, nextCursor: page.nextCursor, connections: page.rows)
        let body = (try? encoder.encode(document)).map { Array($0) + [10] } ?? Array("{}\n".utf8)
        return AdminServer.Response(status: 200, contentType: "application/json", body: body)
    }
}
