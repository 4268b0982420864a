import Testing
@Test func RingGateTestsPlaceholder() { #expect(Bool(true)) }
