import RingGateCodecs
import Testing

@Suite struct SecretKeyComparisonTests {
    @Test func equalBytesMatchAndAnyDifferenceDoesNot() {
        #expect(SecretKeyComparison.matches("s3cret", secret: "s3cret"))
        #expect(!SecretKeyComparison.matches("s3creT", secret: "s3cret"))
        #expect(!SecretKeyComparison.matches("s3cre", secret: "s3cret"))
        #expect(!SecretKeyComparison.matches("s3crett", secret: "s3cret"))
        #expect(!SecretKeyComparison.matches("", secret: "s3cret"))
        #expect(!SecretKeyComparison.matches("x", secret: ""))
    }

    @Test func aMissingKeyCountsAsEmptyLikePHP() {
        #expect(SecretKeyComparison.matches(nil, secret: ""))
        #expect(!SecretKeyComparison.matches(nil, secret: "k"))
    }

    /// "é" precomposed (U+00E9) and decomposed (e + U+0301) are equal Swift Strings but different bytes;
    /// PHP's `!==` tells them apart, and so must the gateway.
    @Test func unicodeEquivalentSpellingsDoNotMatch() {
        let precomposed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(precomposed == decomposed)
        #expect(!SecretKeyComparison.matches(decomposed, secret: precomposed))
        #expect(SecretKeyComparison.matches(precomposed, secret: precomposed))
    }

    /// A candidate that is the secret plus 256 more bytes must not wrap the length check to equal.
    @Test func lengthsThatDifferByAMultipleOf256DoNotMatch() {
        let secret = "k"
        let candidate = "k" + String(repeating: "\u{0}", count: 256)
        #expect(!SecretKeyComparison.matches(candidate, secret: secret))
    }
}
