/// Why an upgrade request is refused; `WebSocketHandshake.response(for:flavour:)` gives the bytes
/// to answer with before closing.
public enum WebSocketHandshakeRejection: Equatable, Sendable, CaseIterable {
    /// The request line is not `method SP target SP version`, or a header line is not `name: value`.
    case malformedRequest
    /// The method is not `GET` (RFC 6455 §4.1 item 2).
    case methodNotGet
    /// The protocol is older than HTTP/1.1 or not HTTP (RFC 6455 §4.1 item 2).
    case unsupportedHTTPVersion
    /// No `Host` header (RFC 6455 §4.1 item 4).
    case missingHost
    /// No `Upgrade: websocket` (RFC 6455 §4.1 item 5).
    case notWebSocketUpgrade
    /// No `Connection: upgrade` (RFC 6455 §4.1 item 6).
    case missingConnectionUpgrade
    /// No `Sec-WebSocket-Key`; the only check workerman 4 makes.
    case missingKey
    /// `Sec-WebSocket-Key` is not the base64 form of 16 bytes (RFC 6455 §4.1 item 7).
    case invalidKey
    /// No `Sec-WebSocket-Version` (RFC 6455 §4.1 item 9; workerman 5 checks this).
    case missingVersion
    /// `Sec-WebSocket-Version` is not 13: answered with 426 and the supported version (§4.4).
    case unsupportedVersion

    /// The rejection as an error, for the log line and the `bad_handshake` counter.
    public var protocolError: ProtocolError {
        ProtocolError(.badHandshake, reason: "WebSocket upgrade refused: \(self)")
    }
}

extension WebSocketUpgradeRequest {
    /// Which rules an upgrade request must follow; chosen per listener.
    public enum Validation: Equatable, Sendable {
        /// Everything RFC 6455 §4.2.1 requires of a client's opening handshake.
        case rfc6455
        /// Workerman 4 (spec §8.3): a `GET` request with a `Sec-WebSocket-Key` header, whatever the
        /// key's form; nothing else is checked.
        case workerman
        /// Workerman 5: additionally `Sec-WebSocket-Version` must be present and equal `13`.
        case workerman5
    }

    /// Why the request must be refused under `validation`, or `nil` to accept it.
    ///
    /// Checks run in the order the reference implementations run them, so the same request gets
    /// the same answer (workerman 5 checks the version before the key).
    public func rejection(under validation: Validation = .rfc6455) -> WebSocketHandshakeRejection? {
        switch validation {
        case .workerman:
            guard method.hasPrefix("GET") else { return .methodNotGet }
            return key == nil ? .missingKey : nil
        case .workerman5:
            guard method.hasPrefix("GET") else { return .methodNotGet }
            if let rejection = versionRejection { return rejection }
            return key == nil ? .missingKey : nil
        case .rfc6455:
            return rfc6455Rejection
        }
    }

    private var rfc6455Rejection: WebSocketHandshakeRejection? {
        guard hasWellFormedRequestLine && malformedLineCount == 0 else { return .malformedRequest }
        guard method == "GET" else { return .methodNotGet }
        guard Self.isHTTP11OrLater(httpVersion) else { return .unsupportedHTTPVersion }
        guard value(forHeader: "Host") != nil else { return .missingHost }
        guard isWebSocketUpgrade else { return .notWebSocketUpgrade }
        guard hasConnectionUpgrade else { return .missingConnectionUpgrade }
        if let rejection = versionRejection { return rejection }
        guard let key else { return .missingKey }
        guard Base64.decodedByteCount(of: key) == 16 else { return .invalidKey }
        return nil
    }

    private var versionRejection: WebSocketHandshakeRejection? {
        guard let version = value(forHeader: "Sec-WebSocket-Version") else { return .missingVersion }
        return version == "13" ? nil : .unsupportedVersion
    }

    /// `HTTP/<major>.<minor>` with (major, minor) >= (1, 1).
    static func isHTTP11OrLater(_ version: String) -> Bool {
        if version == "HTTP/1.1" { return true }  // every browser's
        guard version.hasPrefix("HTTP/") else { return false }
        let numbers = version.dropFirst(5).split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 2, numbers.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isDigit) }),
            let major = Int(numbers[0]), let minor = Int(numbers[1])
        else { return false }
        return major > 1 || (major == 1 && minor >= 1)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
