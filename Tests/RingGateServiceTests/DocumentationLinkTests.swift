import Foundation
import Testing

/// The repository stands on its own: every relative link in README.md and docs/ resolves to a file in it,
/// and no committed document or script points outside it.
@Suite struct DocumentationLinkTests {
    static let root = ConfigurationReferenceTests.repositoryRoot

    static func text(_ path: String) -> String? { try? String(contentsOfFile: root + "/" + path, encoding: .utf8) }

    static var documents: [String] {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? []
        return ["README.md", "deploy/README.md", "Benchmarks/README.md", "scripts/php-compat/README.md"]
            + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }

    /// `[text](target)` targets that are not URLs or in-page anchors, without their `#anchor`.
    static func relativeLinks(in markdown: String) -> [String] {
        var links: [String] = []
        var rest = markdown[...]
        while let start = rest.range(of: "](") {
            let after = rest[start.upperBound...]
            guard let end = after.firstIndex(of: ")") else { break }
            let target = String(after[..<end])
            rest = after[end...]
            if target.contains("://") || target.hasPrefix("#") || target.hasPrefix("mailto:") { continue }
            links.append(String(target.split(separator: "#", maxSplits: 1).first ?? ""))
        }
        return links
    }

    @Test func theDocsExist() {
        for path in ["docs/protocol.md", "docs/operations.md", "docs/configuration.md", "docs/design.md"] {
            #expect(Self.text(path) != nil, "\(path) is missing")
        }
    }

    @Test(arguments: documents)
    func everyRelativeLinkResolves(document: String) throws {
        let markdown = try #require(Self.text(document))
        let folder = document.split(separator: "/").dropLast().joined(separator: "/")
        for link in Self.relativeLinks(in: markdown) {
            let path = folder.isEmpty ? link : folder + "/" + link
            let resolved = URL(fileURLWithPath: Self.root + "/" + path).standardized.path
            #expect(resolved.hasPrefix(Self.root + "/"), "\(document): \(link) leaves the repository")
            #expect(FileManager.default.fileExists(atPath: resolved), "\(document): \(link) does not exist")
        }
    }

    @Test(arguments: documents + ["scripts/autobahn.sh", "scripts/php-compat/setup.sh", ".ci/run"])
    func nothingPointsOutsideTheRepository(file: String) throws {
        let content = try #require(Self.text(file))
        #expect(!content.contains("../shared/"), "\(file) refers to ../shared/")
        #expect(!content.contains("/work/"), "\(file) refers to a /work/ path")
    }

    @Test func theLinkFinderFindsLinks() {
        #expect(
            Self.relativeLinks(in: "see [a](docs/a.md#x), [b](https://x.org/) and [c](#local) [d](../d.md)")
                == ["docs/a.md", "../d.md"])
    }
}
