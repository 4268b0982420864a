// swift-tools-version: 6.2
import PackageDescription

// A Hummingbird app that embeds the RingGate worker kit: `POST /push/{uid}` pushes the request body to
// every client bound to that uid (through GatewayClient), and a BusinessWorker in the same process binds
// clients to uids. Its own package, so the main build and CI do not compile Hummingbird.
let package = Package(
    name: "PushApp",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "RingGate", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.26.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.11.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        .executableTarget(
            name: "PushApp",
            dependencies: [
                .product(name: "RingGateWorkerKit", package: "RingGate"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        )
    ]
)
