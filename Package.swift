// swift-tools-version: 6.2
import PackageDescription

/// CI sets RINGGATE_WARNINGS_AS_ERRORS=1 so that the same `swift test` the README gives also fails on any
/// warning, without a second build with other flags.
let warningSettings: [SwiftSetting] =
    Context.environment["RINGGATE_WARNINGS_AS_ERRORS"] == "1" ? [.unsafeFlags(["-warnings-as-errors"])] : []

/// Modules that hold no unsafe code are compiled with strict memory safety, so an unsafe construct
/// there is a diagnostic (and an error under CI's `-warnings-as-errors`).
let safeSettings: [SwiftSetting] = [.strictMemorySafety()] + warningSettings

let package = Package(
    name: "RingGate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ringgate", targets: ["ringgate"]),
        .executable(name: "NIOBaseline", targets: ["NIOBaseline"]),
        .library(name: "RingGate", targets: ["RingGate"]),
        .library(name: "RingGateCodecs", targets: ["RingGateCodecs"]),
        .library(name: "RingGateWorkerKit", targets: ["RingGateWorkerKit"]),
        .library(name: "RingGateDemo", targets: ["RingGateDemo"]),
        .executable(name: "Benchmarks", targets: ["Benchmarks"]),
        .executable(name: "FuzzWebSocketDecoder", targets: ["FuzzWebSocketDecoder"]),
        .executable(name: "FuzzWebSocketHandshake", targets: ["FuzzWebSocketHandshake"]),
        .executable(name: "FuzzTextDecoder", targets: ["FuzzTextDecoder"]),
        .executable(name: "FuzzLengthFieldDecoder", targets: ["FuzzLengthFieldDecoder"]),
        .executable(name: "FuzzGatewayPacketAssembler", targets: ["FuzzGatewayPacketAssembler"]),
        .executable(name: "FuzzPHPUnserialize", targets: ["FuzzPHPUnserialize"]),
        .executable(name: "FuzzJSONParser", targets: ["FuzzJSONParser"]),
        .executable(name: "FuzzRegisterLine", targets: ["FuzzRegisterLine"]),
        .executable(name: "FuzzWebSocketConnectInfo", targets: ["FuzzWebSocketConnectInfo"]),
        .executable(name: "FuzzGatewayCommands", targets: ["FuzzGatewayCommands"]),
        .executable(name: "FuzzTLSRecords", targets: ["FuzzTLSRecords"]),
        .executable(name: "FuzzTakeoverSnapshot", targets: ["FuzzTakeoverSnapshot"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The config file is YAML: Yams (libyaml inside) is the maintained Swift YAML library, builds in
        // seconds with no further dependencies, and gives line numbers for every node.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The worker kit's connections and the benchmarks' SwiftNIO baseline server.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // The worker kit runs as a `Service` in an application's ServiceGroup (Hummingbird, Vapor, …).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.11.0"),
    ],
    targets: [
        // C shims: only what Swift cannot call directly.
        .target(name: "CLiburing", linkerSettings: [.linkedLibrary("uring")]),
        .target(name: "CLibCrypto", linkerSettings: [.linkedLibrary("crypto")]),
        .target(name: "CLibSSL", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        // TLS on the rings: OpenSSL sessions over memory, not sockets. Holds the unsafe OpenSSL pointers
        // (like RingGateRuntime, not strict-memory-safe) behind a few owner types.
        .target(name: "RingGateTLS", dependencies: ["CLibSSL"], swiftSettings: warningSettings),

        .target(
            name: "RingGateCodecs",
            dependencies: ["CLibCrypto"],
            swiftSettings: safeSettings
        ),
        .target(
            name: "RingGateRuntime",
            dependencies: ["CLiburing", .product(name: "Logging", package: "swift-log")],
            swiftSettings: warningSettings
        ),
        .target(
            name: "RingGate",
            dependencies: [
                "RingGateRuntime", "RingGateCodecs", "RingGateTLS", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: safeSettings
        ),
        // Swift business workers and GatewayClient: SwiftNIO channel pipelines, no RingGate/runtime import.
        .target(
            name: "RingGateWorkerKit",
            dependencies: [
                "RingGateCodecs", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: safeSettings
        ),
        // What `ringgate start` adds around a gateway: config file, admin endpoint, startup checks, drain.
        .target(
            name: "RingGateService",
            dependencies: [
                "RingGate", "RingGateRuntime", "RingGateTLS", .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: safeSettings
        ),
        // The demo chat: its page (served by the gateway) and its worker (the worker kit).
        .target(
            name: "RingGateDemo",
            dependencies: ["RingGateWorkerKit", "RingGateCodecs", .product(name: "Logging", package: "swift-log")],
            swiftSettings: safeSettings
        ),
        .executableTarget(
            name: "ringgate",
            dependencies: [
                "RingGate", "RingGateCodecs", "RingGateRuntime", "RingGateWorkerKit", "RingGateService", "RingGateDemo",
                "RingGateTLS", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: warningSettings
        ),

        // The benchmarks' baseline: what a Swift team would write instead, a plain SwiftNIO echo/broadcast server.
        .executableTarget(
            name: "NIOBaseline",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/NIOBaseline",
            swiftSettings: warningSettings
        ),
        // Benchmarks: `swift run -c release Benchmarks` (see Benchmarks/README.md). The load generator is
        // its own module on CLiburing; the report module (proc parsing, JSON, Markdown, SVG) has unit tests.
        .target(
            name: "LoadGenerator",
            dependencies: ["CLiburing", .product(name: "Histogram", package: "hdrhistogram-swift")],
            path: "Benchmarks/LoadGenerator", swiftSettings: warningSettings),
        .target(name: "BenchmarkReport", path: "Benchmarks/BenchmarkReport", swiftSettings: warningSettings),
        .executableTarget(
            name: "Benchmarks",
            dependencies: [
                "LoadGenerator", "BenchmarkReport", "RingGateWorkerKit", "RingGateCodecs", "RingGateTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/Benchmarks", swiftSettings: warningSettings),
        .testTarget(name: "BenchmarkReportTests", dependencies: ["BenchmarkReport", "LoadGenerator"]),

        .target(
            name: "TestSupport", dependencies: ["RingGate", "RingGateRuntime", "RingGateCodecs", "RingGateTLS"],
            path: "Tests/TestSupport"),
        .testTarget(name: "RingGateCodecsTests", dependencies: ["RingGateCodecs"]),
        .testTarget(name: "RingGateRuntimeTests", dependencies: ["RingGateRuntime", "TestSupport"]),
        .testTarget(name: "RingGateTests", dependencies: ["RingGate", "TestSupport"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "RingGate", "RingGateCodecs", "RingGateWorkerKit", "RingGateDemo", "RingGateTLS", "TestSupport",
            ]),
        .testTarget(
            name: "RingGateWorkerKitTests",
            dependencies: [
                "RingGateWorkerKit", "RingGateCodecs", .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "RingGateServiceTests",
            dependencies: ["RingGateService", "RingGate", "RingGateRuntime", "RingGateTLS", "TestSupport"]),
        .testTarget(name: "RingGateDemoTests", dependencies: ["RingGateDemo", "RingGateCodecs"]),

        // libFuzzer targets, built and run by scripts/fuzz-smoke.sh (`--sanitize=fuzzer --sanitize=address
        // -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING`). Without FUZZING they build a corpus replayer.
        // FuzzSupport: the corpus replayer and the DecodeStep driver they share (Glibc only, no Foundation).
        .target(name: "FuzzSupport", dependencies: ["RingGateCodecs"], path: "Tests/Fuzz/FuzzSupport"),
        .executableTarget(
            name: "FuzzWebSocketDecoder", dependencies: ["RingGateCodecs", "FuzzSupport"],
            path: "Tests/Fuzz/FuzzWebSocketDecoder"),
        .executableTarget(
            name: "FuzzWebSocketHandshake", dependencies: ["RingGateCodecs", "FuzzSupport"],
            path: "Tests/Fuzz/FuzzWebSocketHandshake"),
        .executableTarget(
            name: "FuzzTextDecoder", dependencies: ["RingGateCodecs", "FuzzSupport"],
            path: "Tests/Fuzz/FuzzTextDecoder"),
        .executableTarget(
            name: "FuzzLengthFieldDecoder", dependencies: ["RingGateCodecs", "FuzzSupport"],
            path: "Tests/Fuzz/FuzzLengthFieldDecoder"),
        .executableTarget(
            name: "FuzzGatewayPacketAssembler", dependencies: ["RingGateCodecs", "FuzzSupport"],
            path: "Tests/Fuzz/FuzzGatewayPacketAssembler"),
        .executableTarget(
            name: "FuzzPHPUnserialize", dependencies: ["RingGateCodecs", "FuzzSupport"],
            path: "Tests/Fuzz/FuzzPHPUnserialize"),
        .executableTarget(
            name: "FuzzJSONParser", dependencies: ["RingGateCodecs", "FuzzSupport"],
            path: "Tests/Fuzz/FuzzJSONParser", exclude: ["corpus"]),
        .executableTarget(
            name: "FuzzRegisterLine", dependencies: ["RingGateCodecs", "FuzzSupport"],
            path: "Tests/Fuzz/FuzzRegisterLine"),
        .executableTarget(
            name: "FuzzWebSocketConnectInfo", dependencies: ["RingGateCodecs", "FuzzSupport"],
            path: "Tests/Fuzz/FuzzWebSocketConnectInfo"),
        .executableTarget(
            name: "FuzzGatewayCommands",
            dependencies: [
                "RingGate", "RingGateRuntime", "TestSupport", "FuzzSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Fuzz/FuzzGatewayCommands", exclude: ["corpus", "make-corpus.py"]),
        .executableTarget(
            name: "FuzzTLSRecords", dependencies: ["RingGateTLS", "FuzzSupport"], path: "Tests/Fuzz/FuzzTLSRecords"),
        .executableTarget(
            name: "FuzzTakeoverSnapshot", dependencies: ["RingGateCodecs", "FuzzSupport"],
            path: "Tests/Fuzz/FuzzTakeoverSnapshot", exclude: ["corpus", "make-corpus.py"]),
    ]
)
