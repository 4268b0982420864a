import Foundation
import Testing

@testable import RingGateService

/// docs/configuration.md is generated from the keys; these fail when it, or the reference it is made of,
/// drifts from what the loader accepts.
@Suite struct ConfigurationReferenceTests {
    static let repositoryRoot = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")

    @Test func everyKeyHasExactlyOneReferenceEntryInTheSameOrder() {
        let keys = ConfigurationKey.all.map(\.path)
        let documented = ConfigurationKeyReference.all.map(\.path)
        #expect(
            documented == keys,
            """
            ConfigurationKeyReference.all (Sources/RingGateService/Configuration/ConfigurationReference.swift) \
            must list every ConfigurationKey in order; missing: \(Set(keys).subtracting(documented).sorted()), \
            stale: \(Set(documented).subtracting(keys).sorted())
            """)
    }

    /// Applying each documented default to the built-in defaults changes nothing, so the page states the
    /// real defaults.
    @Test(arguments: ConfigurationKeyReference.all.map(\.path))
    func theDocumentedDefaultIsTheRealOne(path: String) throws {
        let entry = try #require(ConfigurationKeyReference.all.first { $0.path == path })
        let key = try #require(ConfigurationKey.byPath[path])
        var configuration = ServiceConfiguration()
        try key.apply(&configuration, entry.defaultValue)
        #expect(configuration == ServiceConfiguration(), "\(path): documented default \(entry.defaultValue)")
    }

    @Test func aWrongDefaultIsNoticed() throws {
        let key = try #require(ConfigurationKey.byPath["gateway.slab_mib"])
        var configuration = ServiceConfiguration()
        try key.apply(&configuration, .scalar("18"))
        #expect(configuration != ServiceConfiguration())
    }

    @Test func theCommittedPageIsTheGeneratedOne() throws {
        let path = Self.repositoryRoot + "/docs/configuration.md"
        let committed = try #require(
            try? String(contentsOfFile: path, encoding: .utf8), "docs/configuration.md is missing")
        #expect(
            committed == ConfigurationKeyReference.markdown,
            "docs/configuration.md is stale: run `swift run ringgate check-config --print-reference > docs/configuration.md`"
        )
    }

    @Test func everyKeyAppearsOnThePageWithItsEnvironmentVariable() {
        let page = ConfigurationKeyReference.markdown
        for key in ConfigurationKey.all {
            #expect(page.contains("| `\(key.path)` |"), "\(key.path)")
            #expect(page.contains("`\(key.environmentName)`"), "\(key.environmentName)")
        }
    }
}
