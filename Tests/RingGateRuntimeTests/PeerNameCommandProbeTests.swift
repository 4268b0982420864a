import Glibc
import RingGateRuntime
import Testing

/// The once-per-process probe for io_uring's SO_PEERNAME socket command (Linux 6.7) agrees with the
/// running kernel's version.
@Suite struct PeerNameCommandProbeTests {
    /// (major, minor) of `uname -r`.
    static func kernelVersion() -> (Int, Int) {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return (numbers.first ?? 0, numbers.dropFirst().first ?? 0)
    }

    @Test func probeMatchesTheKernelVersion() {
        let (major, minor) = Self.kernelVersion()
        let expected = major > 6 || (major == 6 && minor >= 7)
        #expect(PeerNameCommandProbe.kernelHasCommand == expected, "kernel \(major).\(minor)")
    }
}
