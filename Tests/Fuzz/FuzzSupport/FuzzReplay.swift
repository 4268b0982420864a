#if canImport(Glibc)
    import Glibc
#endif

/// The two ways a fuzz target's body is run: by libFuzzer through `LLVMFuzzerTestOneInput`, and by the
/// replayer a plain build makes of the same executable, so a crash file reproduces in a debugger.
///
/// Every target has the same two entry points around its `fuzzOne(_ input: [UInt8])`:
/// ```swift
/// @_cdecl("LLVMFuzzerTestOneInput")
/// public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
///     FuzzReplay.one(data, size, fuzzOne)
/// }
/// #if !FUZZING
///     @main struct Replay { static func main() { FuzzReplay.main(arguments: CommandLine.arguments, fuzzOne) } }
/// #endif
/// ```
/// Glibc only: the fuzz targets avoid Foundation.
///
/// scripts/fuzz-smoke.sh builds each target with `swift build --product FuzzX --sanitize=fuzzer
/// --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --scratch-path .build-fuzz`.
/// The extra `-Xswiftc -sanitize=fuzzer,address` matters: SwiftPM passes the two sanitizers as separate
/// `-sanitize=` options and swiftc keeps only the last, so without it the code may get ASan but no
/// coverage instrumentation (libFuzzer then reports "Loaded 1 modules (3 inline 8-bit counters)") and
/// mutates blindly.
public enum FuzzReplay {
    /// Runs `body` on the `size` bytes at `data` (one libFuzzer input) and returns 0, as libFuzzer expects.
    public static func one(_ data: UnsafePointer<UInt8>, _ size: Int, _ body: ([UInt8]) -> Void) -> CInt {
        body(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }

    /// Replays every file named in `arguments` (after the program name) through `body`; a directory
    /// stands for the files in it, in name order. Prints one line per input and exits with status 1
    /// when a path could not be read.
    public static func main(arguments: [String], _ body: ([UInt8]) -> Void) {
        var unreadable = 0
        var replayed = 0
        for path in arguments.dropFirst() {
            for file in files(at: path) {
                guard let bytes = contents(of: file) else {
                    print("cannot read \(file)")
                    unreadable += 1
                    continue
                }
                body(bytes)
                replayed += 1
                print("ok \(file) (\(bytes.count) bytes)")
            }
        }
        print("replayed \(replayed) inputs")
        if unreadable > 0 { exit(1) }
    }

    /// `path` itself, or, when it is a directory, the files below it in name order.
    static func files(at path: String) -> [String] {
        guard let directory = opendir(path) else { return [path] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted().flatMap { files(at: path + "/" + $0) }
    }

    /// The bytes of the file at `path`, or nil when it cannot be opened or read.
    static func contents(of path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count == 0 { break }
            result += chunk[..<count]
        }
        return ferror(file) == 0 ? result : nil
    }
}
