import RingGateCodecs
import RingGateRuntime

/// The client heartbeat (spec §7.3): one periodic pass over the table on the shard's wheel, exactly as
/// PHP's single timer — never a timer per connection.
extension ShardGateway {
    /// The pass runs every pingInterval/2 when silent clients are closed, else every pingInterval.
    var heartbeatPeriod: UInt64 {
        configuration.pingNotResponseLimit > 0
            ? configuration.pingIntervalNanoseconds / 2 : configuration.pingIntervalNanoseconds
    }

    /// For each client in connect order with counter c (−1 after each message): close it when
    /// c ≥ 2·limit (limit > 0); else c += 1 and, with ping data, ping unless c is 0 or (limit > 0 and)
    /// c is odd. The close window is ((L+½)T, (L+1)T] after the last message, as PHP's.
    func heartbeatTick(on shard: ClientShard) {
        let limit = Int32(clamping: configuration.pingNotResponseLimit)
        let pings = !configuration.pingData.isEmpty
        var silent: [UInt32] = []
        var due: [UInt32] = []
        table.forEachHeartbeat { connectionID, count in
            if limit > 0 && count >= 2 * limit {
                silent.append(connectionID)
                return
            }
            count += 1
            guard pings, count != 0, !(limit > 0 && count % 2 != 0) else { return }
            due.append(connectionID)
        }
        for connectionID in silent {
            guard let client = table.clientID(of: connectionID) else { continue }
            notices.notice(
                "closing silent client (heartbeat)", peer: shard.peerDescription(client.slot), level: .info,
                now: ShardLoop.now())
            shard.close(client, reason: .heartbeatTimeout, graceful: false)
        }
        if !due.isEmpty {
            counters.heartbeatPings += UInt64(due.count)
            let data = configuration.pingData
            fanOut(data.span, raw: false, to: due, on: shard)
        }
    }
}
