/// Compares a peer's `secret_key` with the configured one the way PHP's `!==` does (byte for byte,
/// never Unicode-equivalent spellings), in a time that does not depend on where the two differ.
///
/// The loop always runs over the configured secret's length, so a peer learns nothing from timing but
/// whether its guess had the right length, the same as with any length-prefixed secret.
public enum SecretKeyComparison {
    /// True when `candidate` is exactly `secret`, byte for byte. A missing candidate (nil) counts as
    /// `""`, as PHP reads a missing `secret_key`.
    public static func matches(_ candidate: String?, secret: String) -> Bool {
        matches(Array((candidate ?? "").utf8), secret: Array(secret.utf8))
    }

    /// Byte form of `matches(_:secret:)`.
    public static func matches(_ candidate: [UInt8], secret: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: candidate.count ^ secret.count)
        difference |= candidate.count == secret.count ? 0 : 1
        for index in secret.indices {
            let offered = index < candidate.count ? candidate[index] : ~secret[index]
            difference |= offered ^ secret[index]
        }
        return difference == 0
    }
}
