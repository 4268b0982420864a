import Testing

@Test func RingGateCodecsTestsPlaceholder() { #expect(Bool(true)) }
