import Foundation

/// The C io_uring reference programs in Benchmarks/Reference (fan-out and relay), compiled with `cc` on first
/// use into the folder of this executable. They are the kernel's limit for what the gateway does on this
/// machine; scenarios report RingGate as a fraction of them. Without a compiler they are skipped with a note.
struct ReferencePrograms {
    let fanoutPath: String
    let relayPath: String

    /// Benchmarks/Reference, found from this source file: the benchmarks run from the repository they were
    /// built in.
    static let sourceFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Reference")

    /// Builds what is missing or older than its sources; nil (with a note in the results) when it cannot.
    static func prepare(settings: RunSettings) -> ReferencePrograms? {
        guard !settings.options.noReference else { return nil }
        let folder = URL(fileURLWithPath: settings.selfPath).deletingLastPathComponent()
        var paths: [String] = []
        for name in ["fanout", "relay"] {
            let source = sourceFolder.appendingPathComponent("\(name).c")
            let binary = folder.appendingPathComponent("ringgate-reference-\(name)")
            paths.append(binary.path)
            guard needsBuild(binary: binary, sources: [source, sourceFolder.appendingPathComponent("reference.h")])
            else { continue }
            let arguments = [
                "cc", "-O2", "-Wall", "-o", binary.path, source.path, "-luring", "-lcrypto", "-lpthread",
            ]
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            let log = settings.logPath("reference-build-\(name)")
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: log)
            do {
                try process.run()
                process.waitUntilExit()
            } catch {
                settings.results.notes.append("C reference programs skipped: cannot run cc (\(error))")
                return nil
            }
            guard process.terminationStatus == 0 else {
                settings.results.notes.append(
                    "C reference programs skipped: `\(arguments.joined(separator: " "))` "
                        + "failed, see \(log)")
                return nil
            }
        }
        return ReferencePrograms(fanoutPath: paths[0], relayPath: paths[1])
    }

    private static func needsBuild(binary: URL, sources: [URL]) -> Bool {
        let modified = { (url: URL) in
            (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? nil
        }
        guard let built = modified(binary) else { return true }
        return sources.contains { (modified($0) ?? .distantFuture) > built }
    }
}
