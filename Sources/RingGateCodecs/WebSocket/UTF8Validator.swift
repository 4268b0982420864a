/// A streaming UTF-8 validator: one byte of state, fed message pieces in order.
///
/// RFC 6455 §8.1 requires a text message to be valid UTF-8, and Autobahn (cases 6.x) expects the
/// connection to fail as soon as an invalid byte arrives, not when the message ends. The decoder
/// therefore validates every piece as it is delivered and keeps only the automaton state between
/// pieces, which is what lets a message arrive in many buffers without being buffered.
///
/// The automaton is Bjoern Hoehrmann's DFA ("Flexible and Economical UTF-8 Decoder", MIT licence):
/// bytes map to one of 12 character classes, and a state (a multiple of 12) plus a class index the
/// transition table. It rejects overlong forms, surrogates (U+D800–U+DFFF) and code points above
/// U+10FFFF, exactly like `String(validating:)`.
struct UTF8Validator: Equatable, Sendable {
    /// The automaton state: `accept` between characters, `reject` after an error (sticky), anything
    /// else in the middle of a multi-byte sequence.
    private(set) var state: UInt8 = UTF8Validator.accept

    static let accept: UInt8 = 0
    static let reject: UInt8 = 12

    init() {}

    /// The last state of the automaton (the transition table has nine rows of twelve).
    static let lastState: UInt8 = 96

    /// A validator in `snapshotState`, or nil unless a validator can be there between two pieces of a
    /// message: `accept`, or in the middle of a character (a multiple of 12 up to ``lastState``). Not
    /// `reject`: a rejected message fails its connection. Anything else would index past the table.
    init?(snapshotState: UInt8) {
        guard snapshotState % 12 == 0, snapshotState <= Self.lastState, snapshotState != Self.reject else {
            return nil
        }
        state = snapshotState
    }

    /// True when the bytes so far end on a character boundary (a message may end here).
    var isComplete: Bool { state == Self.accept }

    /// True once an invalid sequence was seen; stays true until `reset()`.
    var isRejected: Bool { state == Self.reject }

    /// Forgets everything, for the next message.
    mutating func reset() { state = Self.accept }

    /// Feeds `bytes[range]`; returns false as soon as they cannot be part of valid UTF-8.
    ///
    /// Stops at the first invalid byte (fail fast) and leaves the validator rejected.
    mutating func validate(_ bytes: Span<UInt8>, in range: Range<Int>) -> Bool {
        var current = state
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            if current == Self.accept {
                // Fast path: a run of ASCII between characters needs no table lookups.
                while index < end && bytes[index] < 0x80 { index &+= 1 }
                if index == end { break }
            }
            let byte = bytes[index]
            index &+= 1
            let byteClass = Self.table[Int(byte)]
            current = Self.table[256 &+ Int(current) &+ Int(byteClass)]
            if current == Self.reject {
                state = current
                return false
            }
        }
        state = current
        return true
    }

    /// Validates `bytes` as one complete text (used for close reasons, which arrive whole).
    static func isValid(_ bytes: Span<UInt8>, in range: Range<Int>) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes, in: range) && validator.isComplete
    }

    /// Byte → character class (256 entries), then state + class → next state (108 entries).
    private static let table: [UInt8] = [
        // Character classes.
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
        7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        8, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        10, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3, 3, 11, 6, 6, 6, 5, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
        // Transitions: row = state / 12, column = class.
        0, 12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72,
        12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
        12, 0, 12, 12, 12, 12, 12, 0, 12, 0, 12, 12,
        12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12,
        12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12,
        12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12,
        12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,
        12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,
        12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    ]
}
