import RingGateCodecs

/// How CMD_UPDATE_SESSION changed a session (spec §4.6).
enum SessionUpdateOutcome: Equatable {
    /// The client is unknown; nothing changed.
    case unknownClient
    /// The current session was falsy (`""`/`"0"`), so ext_data replaced it verbatim.
    case replaced
    /// Both sides were arrays and were merged with `array_replace_recursive`.
    case merged
    /// The merge was impossible and ext_data replaced the session; PHP would have thrown here, so the
    /// caller logs and counts it (§4.6, §11.30).
    case fallback(SessionMergeFailure)
}

/// Why CMD_UPDATE_SESSION could not merge.
enum SessionMergeFailure: Equatable {
    /// The stored session is not a serialized array (e.g. seed V13's bare number).
    case sessionNotArray
    /// ext_data is not a serialized array.
    case updateNotArray
    /// One side contains `r:`/`R:` references, which a merge would renumber (§9.1).
    case containsReferences
}

/// Session storage (spec §4.6, §7.6): opaque bytes, interpreted only by UPDATE.
extension GatewayClientTable {
    /// CMD_SET_SESSION (204): session := ext_data verbatim (empty clears it). Returns whether the
    /// client exists.
    @discardableResult
    mutating func setSession(_ session: [UInt8], for connectionID: UInt32) -> Bool {
        update(connectionID) { $0.assignSession(session) } != nil
    }

    /// CMD_UPDATE_SESSION (9): a falsy session is replaced by ext_data; otherwise both are unserialized,
    /// merged with `array_replace_recursive` (§9.4) and the result serialized. When either side is not
    /// an array or holds references, ext_data replaces the session and the outcome says why.
    mutating func updateSession(with partial: [UInt8], for connectionID: UInt32) -> SessionUpdateOutcome {
        guard let current = self[connectionID]?.session else { return .unknownClient }
        let outcome = Self.mergedSession(current: current, partial: partial)
        switch outcome {
        case .success(let merged):
            setSession(merged, for: connectionID)
            return GatewayKeys.isFalsy(current) ? .replaced : .merged
        case .failure(let failure):
            setSession(partial, for: connectionID)
            return .fallback(failure)
        }
    }

    /// CMD_GET_SESSION_BY_CLIENT_ID (203) reply payload: `N;` for an unknown client, `a:0:{}` for a
    /// falsy session, else the stored session verbatim (already serialized, not re-encoded).
    func sessionReply(for connectionID: UInt32) -> [UInt8] {
        guard let session = self[connectionID]?.session else { return Array("N;".utf8) }
        return GatewayKeys.isFalsy(session) ? Array("a:0:{}".utf8) : session
    }

    /// The session UPDATE stores: `partial` itself when `current` is falsy, else the serialized merge.
    static func mergedSession(
        current: [UInt8], partial: [UInt8]
    ) -> Result<[UInt8], SessionMergeFailure> {
        if GatewayKeys.isFalsy(current) { return .success(partial) }
        guard case .array(let base)? = PHPUnserializer.unserialize(current) else {
            return .failure(.sessionNotArray)
        }
        guard case .array(let replacement)? = PHPUnserializer.unserialize(partial) else {
            return .failure(.updateNotArray)
        }
        guard !PHPValue.array(base).containsReferences, !PHPValue.array(replacement).containsReferences else {
            return .failure(.containsReferences)
        }
        return .success(PHPSerializer.serialize(.array(PHPArrayMerge.replaceRecursive(base, with: replacement))))
    }
}

extension SessionMergeFailure: Error {}
