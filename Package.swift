// swift-tools-version: 6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "Conduit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ingest", targets: ["Ingest"]),
        .executable(name: "router", targets: ["Router"]),
        .executable(name: "serve", targets: ["Serve"]),
        .library(name: "Shared", targets: ["Shared"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/attaswift/BigInt.git", from: "6.0.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            path: "Sources/CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            path: "Sources/CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .target(
            name: "Shared",
            dependencies: [
                "CLibPQ",
                "CZstd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "BigInt", package: "BigInt"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Ingest",
            dependencies: ["Shared", .product(name: "Logging", package: "swift-log")],
            path: "Sources/ingest",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Router",
            dependencies: ["Shared", .product(name: "Logging", package: "swift-log")],
            path: "Sources/router",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Serve",
            dependencies: [
                "Shared",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/serve",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SharedTests",
            dependencies: ["Shared"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: ["Ingest", "Shared"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RouterTests",
            dependencies: ["Router", "Shared"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServeTests",
            dependencies: ["Serve", "Shared"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Shared"],
            swiftSettings: swiftSettings
        ),
    ]
)
