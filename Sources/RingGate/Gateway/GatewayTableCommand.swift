import RingGateCodecs

/// What executing a worker command against the client table asks the shard to do (spec §4.1).
enum GatewayTableEffect: Equatable {
    /// Write this query reply payload (frame it with `GatewayQueryReply.append`) on the inner connection.
    case reply([UInt8])
    /// The reply passed the reply limit and was abandoned unfinished: the shard closes the link.
    case replyTooLarge
    /// Deliver the packet's body (decoded with `SendBody.decode`) to these clients.
    case send(SendTargets)
    /// State changed, or the command was a silent no-op; nothing to write.
    case done
    /// CMD_UPDATE_SESSION could not merge and replaced the session; log and count (§4.6).
    case sessionFallback(SessionMergeFailure)
    /// Not a table command (events, kick, destroy, auth, unknown): the shard handles it.
    case notTableCommand
}

extension GatewayClientTable {
    /// Executes the table part of one worker command: the query, session, uid, group and multicast
    /// commands of spec §4.4–4.9. CMD_SEND_TO_ONE targets the header's cid when it exists. A query
    /// reply larger than `replyLimit` bytes is abandoned as soon as it passes it.
    mutating func execute(
        _ command: GatewayCommand, connectionID: UInt32, extData: [UInt8], replyLimit: Int = .max
    ) -> GatewayTableEffect {
        func reply(_ payload: [UInt8]?) -> GatewayTableEffect { payload.map { .reply($0) } ?? .replyTooLarge }
        switch command {
        case .sendToOne: return .send(SendTargets(connectionIDs: contains(connectionID) ? [connectionID] : []))
        case .sendToAll: return .send(sendToAllTargets(extData))
        case .sendToUID: return .send(sendToUIDTargets(extData))
        case .sendToGroup: return .send(sendToGroupTargets(extData))
        case .updateSession:
            if case .fallback(let failure) = updateSession(with: extData, for: connectionID) {
                return .sessionFallback(failure)
            }
            return .done
        case .setSession: setSession(extData, for: connectionID)
        case .bindUID: bindUID(extData, to: connectionID)
        case .unbindUID: unbindUID(of: connectionID)
        case .joinGroup: join(group: extData, connectionID: connectionID)
        case .leaveGroup: leave(group: extData, connectionID: connectionID)
        case .ungroup: ungroup(extData)
        case .getAllClientSessions: return reply(allClientSessionsReply(limit: replyLimit))
        case .isOnline: return .reply(isOnlineReply(connectionID))
        case .getClientIDByUID: return reply(clientIDsByUIDReply(extData, limit: replyLimit))
        case .batchGetClientIDByUID: return reply(batchClientIDsByUIDReply(extData, limit: replyLimit))
        case .getClientSessionsByGroup: return reply(clientSessionsByGroupReply(extData, limit: replyLimit))
        case .getClientCountByGroup: return .reply(clientCountByGroupReply(extData))
        case .select: return reply(selectReply(extData, limit: replyLimit))
        case .getGroupIDList: return reply(groupIDListReply(limit: replyLimit))
        case .batchGetClientCountByGroup: return reply(batchClientCountByGroupReply(extData, limit: replyLimit))
        case .getSessionByClientID: return .reply(sessionReply(for: connectionID))
        default: return .notTableCommand
        }
        return .done
    }
}
