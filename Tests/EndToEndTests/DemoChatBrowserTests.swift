import RingGate
import RingGateTLS
import TestSupport
import Testing

/// What the browser test needs from the machine.
enum BrowserCheck {
    static let chromium = Subprocess.findExecutable("chromium")
    static let python = Subprocess.findExecutable("python3")

    /// scripts/demo-browser-check.py of this package (three levels above this file).
    static let script: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return (parts + ["scripts", "demo-browser-check.py"]).joined(separator: "/")
    }()
}

/// The demo chat in a real browser: headless Chromium opens the page from a test gateway in two tabs,
/// and a message typed in one appears in the other (scripts/demo-browser-check.py drives Chromium over
/// its DevTools protocol). Skipped when `chromium` is not installed.
@Suite(
    .serialized, .timeLimit(.minutes(1)),
    .enabled(if: BrowserCheck.chromium != nil && BrowserCheck.python != nil, "needs chromium and python3")
)
struct DemoChatBrowserTests {
    @Test func twoTabsChat() async throws {
        let chromium = try #require(BrowserCheck.chromium)
        let python = try #require(BrowserCheck.python)
        try await DemoChatTests.withDemoChat { server in
            // The script's own deadline (25 s) comes first; the time limit only catches a hung script.
            let outcome = try await Subprocess.run(
                [
                    python, BrowserCheck.script, "http://127.0.0.1:\(server.port())/", "--timeout", "20", "--chromium",
                    chromium,
                ],
                timeLimitSeconds: 29)
            #expect(outcome.exitStatus == 0, "\(outcome.output)")
            #expect(outcome.output.hasSuffix("PASS\n"), "\(outcome.output)")
            #expect(server.totalCounters().httpPagesServed >= 2)  // one page per tab
        }
    }

    /// The same over https and wss: the page is served through TLS and connects back with wss://.
    @Test func twoTabsChatOverTLS() async throws {
        let chromium = try #require(BrowserCheck.chromium)
        let python = try #require(BrowserCheck.python)
        try #require(TestCertificates.available, "the openssl CLI is needed to make test certificates")
        let certificates = try TestCertificates()
        let leaf = try certificates.makeLeaf("leaf")
        let tls = TLSConfiguration(certificateChainPath: leaf.chain, privateKeyPath: leaf.key)
        try await DemoChatTests.withDemoChat(listener: "wss://127.0.0.1:0", tls: tls) { server in
            let outcome = try await Subprocess.run(
                [
                    python, BrowserCheck.script, "https://127.0.0.1:\(server.port())/", "--timeout", "20",
                    "--chromium", chromium, "--insecure",
                ],
                timeLimitSeconds: 29)
            #expect(outcome.exitStatus == 0, "\(outcome.output)")
            #expect(outcome.output.hasSuffix("PASS\n"), "\(outcome.output)")
            #expect(server.totalCounters().tlsHandshakesCompleted >= 4)  // two pages, two WebSockets
        }
    }
}
