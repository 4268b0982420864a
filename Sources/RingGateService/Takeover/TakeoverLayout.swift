import RingGate
import RingGateCodecs
import RingGateRuntime

/// What two processes must agree on before clients move between them: the same shards, listeners, worker
/// addresses and table sizes (a client keeps its slot, so the new file tables must be as large). Both
/// sides compute it from their own configuration; the new process refuses when they differ.
enum TakeoverLayout {
    static func fingerprint(_ configuration: ServiceConfiguration, gateway: GatewayConfiguration?) -> [UInt8] {
        var parts: [String] = []
        if let gateway {
            parts.append("shards=\(gateway.shardCount)")
            parts.append("slots=\(gateway.effectiveConnectionsPerShard)")
            parts.append(
                "listeners=" + gateway.listeners.map { "\($0.scheme)://\($0.address)" }.joined(separator: ","))
            if let upstream = gateway.upstream {
                parts.append(
                    "inner="
                        + (0..<gateway.shardCount).map { "\(upstream.innerAddress(shard: $0))" }.joined(
                            separator: ","))
            }
        }
        parts.append("register=" + (configuration.register.enabled ? "\(configuration.register.listen)" : "-"))
        parts.append("admin=" + (configuration.admin.listen.map { "\($0)" } ?? "-"))
        return Array(parts.joined(separator: ";").utf8)
    }

    /// A readable account of how two fingerprints differ (for the refusal message).
    static func difference(_ old: [UInt8], _ new: [UInt8]) -> String {
        let oldParts = String(decoding: old, as: UTF8.self).split(separator: ";")
        let newParts = String(decoding: new, as: UTF8.self).split(separator: ";")
        let differing = zip(oldParts, newParts).filter { $0 != $1 }.map { "running \($0), this binary \($1)" }
        return differing.isEmpty ? "the layouts differ" : differing.joined(separator: "; ")
    }
}
