extension WebSocketDecoder {
    /// How strictly a listener checks client frames. Kept per listener and passed to every
    /// `decode` call, so the per-connection decoder stays a few integers.
    public struct Options: Equatable, Sendable {
        /// Largest message payload accepted, summed over its fragments (RFC 6455 §10.4). Checked as
        /// soon as a frame header announces its length, so an oversize message fails with close code
        /// 1009 before any of its payload is read. Workerman's `maxPackageSize` default is 10 MiB.
        public var maxMessageLength: Int

        /// Whether an unmasked client frame fails the connection (RFC 6455 §5.1 says it must;
        /// workerman agrees). Off only for trusted test peers.
        public var requireMasking: Bool

        /// Whether text messages are validated as UTF-8 while they stream in (RFC 6455 §8.1, close
        /// code 1007). Workerman does not validate.
        public var validateUTF8: Bool

        /// Whether the RFC 6455 §5 framing rules are enforced: RSV bits clear (no extension is ever
        /// negotiated), control frames unfragmented, continuation only inside a message, no new data
        /// message inside a fragmented one, 64-bit lengths with the top bit clear. Workerman checks
        /// none of these; it concatenates every data frame until one has FIN set.
        public var enforcesFraming: Bool

        /// Whether frame header bytes count toward `maxMessageLength`, as workerman counts them
        /// (buffered payload + this frame's header + payload > maxPackageSize → close).
        public var limitIncludesFrameHeaders: Bool

        /// RFC 6455 strict checking, the default.
        public init(
            maxMessageLength: Int = 10_485_760,
            requireMasking: Bool = true,
            validateUTF8: Bool = true,
            enforcesFraming: Bool = true,
            limitIncludesFrameHeaders: Bool = false
        ) {
            self.maxMessageLength = maxMessageLength
            self.requireMasking = requireMasking
            self.validateUTF8 = validateUTF8
            self.enforcesFraming = enforcesFraming
            self.limitIncludesFrameHeaders = limitIncludesFrameHeaders
        }

        /// RFC 6455 strict checking (the default options).
        public static let rfc6455 = Options()

        /// What workerman's `Websocket::input` accepts (spec §8.3): masking and known opcodes are
        /// required and the 10 MiB limit counts headers, but there is no UTF-8, RSV or sequencing
        /// check. Control payloads are still capped at 125 bytes (a deliberate deviation that keeps
        /// the driver's control-frame buffer bounded; no real client sends longer ones).
        public static let workerman = Options(
            validateUTF8: false,
            enforcesFraming: false,
            limitIncludesFrameHeaders: true
        )
    }
}
