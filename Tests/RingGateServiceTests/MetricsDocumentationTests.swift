import Foundation
import RingGate
import Testing

@testable import RingGateService

/// docs/operations.md explains every metric: this fails when a family (or a value of one of its labels)
/// is exported on /metrics but not named on that page.
@Suite struct MetricsDocumentationTests {
    /// A page with every optional part present: two shards (huge pages and normal pages), the built-in
    /// Register and the admin endpoint.
    static func fullPage() -> String {
        var normal = ShardReport.empty(index: 0)
        normal.counters.upstream = UpstreamCounters()
        var huge = ShardReport.empty(index: 1)
        huge.hugePages = true
        return GatewayMetrics.render(
            reports: [normal, huge], register: RegisterServer.Snapshot(),
            memory: StatusDocument.ProcessMemory(rssBytes: 1, rssAnonBytes: 2, hugetlbBytes: 3), uptimeSeconds: 1,
            shuttingDown: false, admin: AdminServer.Counters())
    }

    static func operationsPage() throws -> String {
        let path = ConfigurationReferenceTests.repositoryRoot + "/docs/operations.md"
        return try #require(try? String(contentsOfFile: path, encoding: .utf8), "docs/operations.md is missing")
    }

    /// Family names from the `# TYPE` lines.
    static func families(in page: String) -> [String] {
        page.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
    }

    /// `label="value"` pairs of every sample, except `shard` and the histogram's `le`.
    static func labelValues(in page: String) -> Set<String> {
        var values: Set<String> = []
        for line in page.split(separator: "\n") where !line.hasPrefix("#") {
            guard let open = line.firstIndex(of: "{"), let close = line.firstIndex(of: "}") else { continue }
            for pair in line[line.index(after: open)..<close].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0] != "shard", parts[0] != "le" else { continue }
                values.insert(String(parts[1].dropFirst().dropLast()))
            }
        }
        return values
    }

    @Test func everyExportedFamilyIsDocumented() throws {
        let documentation = try Self.operationsPage()
        let families = Self.families(in: Self.fullPage())
        #expect(families.count > 50, "the page should hold every family: \(families)")
        let undocumented = families.filter { !documentation.contains("`\($0)`") }
        #expect(undocumented.isEmpty, "exported but not explained in docs/operations.md: \(undocumented)")
    }

    @Test func everyExportedLabelValueIsDocumented() throws {
        let documentation = try Self.operationsPage()
        let values = Self.labelValues(in: Self.fullPage())
        #expect(values.contains("peer_closed") && values.contains("huge_pages") && values.contains("auth_timeout"))
        let undocumented = values.filter { !documentation.contains("`\($0)`") }.sorted()
        #expect(undocumented.isEmpty, "label values not explained in docs/operations.md: \(undocumented)")
    }

    /// The check itself can fail: a family the page does not name is reported.
    @Test func anUndocumentedFamilyIsFound() throws {
        let documentation = try Self.operationsPage()
        let page = Self.fullPage() + "# TYPE ringgate_not_a_real_metric_total counter\n"
        #expect(Self.families(in: page).contains { !documentation.contains("`\($0)`") })
    }
}
