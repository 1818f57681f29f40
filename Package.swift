// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "EmbedSync",
    // macOS 15: `Mutex` and `Atomic` (Synchronization) are used across the package.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "embedsync", targets: ["embedsync"]),
        .library(name: "EmbedSyncCore", targets: ["EmbedSyncCore"]),
        .library(name: "EmbedSyncSQLite", targets: ["EmbedSyncSQLite"]),
        .library(name: "EmbedSyncPostgres", targets: ["EmbedSyncPostgres"]),
        .library(name: "EmbedSyncLibSQL", targets: ["EmbedSyncLibSQL"]),
        .library(name: "EmbedSyncOpenAI", targets: ["EmbedSyncOpenAI"]),
        .library(name: "EmbedSyncLocal", targets: ["EmbedSyncLocal"]),
        .library(name: "EmbedSyncTiktoken", targets: ["EmbedSyncTiktoken"]),
        .library(name: "EmbedSyncServer", targets: ["EmbedSyncServer"]),
        .library(name: "EmbedSyncCLI", targets: ["EmbedSyncCLI"]),
        .library(name: "EmbedSyncTesting", targets: ["EmbedSyncTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.36.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "EmbedSyncCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                "CEmbedSyncKernels",
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EmbedSyncSQLite",
            dependencies: ["EmbedSyncCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EmbedSyncPostgres",
            dependencies: [
                "EmbedSyncCore", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EmbedSyncLibSQL",
            dependencies: [
                "EmbedSyncCore", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EmbedSyncOpenAI",
            dependencies: [
                "EmbedSyncCore", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "EmbedSyncTiktoken", dependencies: ["EmbedSyncCore"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "embedsync-bpe-bench", dependencies: ["EmbedSyncTiktoken"], swiftSettings: swiftSettings),
        // OpenBLAS's headers only: the library is opened on first use (see BLAS.swift), not linked.
        .systemLibrary(name: "COpenBLAS"),
        .target(name: "CEmbedSyncKernels"),
        .target(
            name: "EmbedSyncLocal",
            dependencies: [
                "EmbedSyncCore", "CEmbedSyncKernels",
                .target(name: "COpenBLAS", condition: .when(platforms: [.linux])),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: [
                .linkedFramework("Accelerate", .when(platforms: [.macOS]))
            ]
        ),
        .executableTarget(
            name: "embedsync-local-bench", dependencies: ["EmbedSyncLocal"], swiftSettings: swiftSettings),
        .target(
            name: "EmbedSyncServer",
            dependencies: [
                "EmbedSyncCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EmbedSyncCLI",
            dependencies: [
                "EmbedSyncCore", "EmbedSyncSQLite", "EmbedSyncOpenAI", "EmbedSyncPostgres", "EmbedSyncLibSQL",
                "EmbedSyncLocal", "EmbedSyncTiktoken", "EmbedSyncServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "embedsync", dependencies: ["EmbedSyncCLI"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "embedsync-bench",
            dependencies: [
                "EmbedSyncCore", "EmbedSyncSQLite", "EmbedSyncPostgres", "EmbedSyncLibSQL",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        // Examples/: built by `swift build --build-tests` (so by the test command), so they cannot rot.
        .executableTarget(
            name: "embedsync-example-pipeline",
            dependencies: [
                "EmbedSyncCore", "EmbedSyncSQLite", "EmbedSyncLocal", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Examples/Pipeline", exclude: ["README.md"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "embedsync-example-search",
            dependencies: [
                "EmbedSyncCore", "EmbedSyncSQLite", "EmbedSyncLocal",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Examples/SearchServer", exclude: ["README.md"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "embedsync-fake-provider", dependencies: ["EmbedSyncTesting"], swiftSettings: swiftSettings),
        .target(
            name: "EmbedSyncTesting",
            dependencies: [
                "EmbedSyncCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EmbedSyncCoreTests", dependencies: ["EmbedSyncCore", "EmbedSyncTesting", "CEmbedSyncKernels"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EmbedSyncSQLiteTests",
            dependencies: ["EmbedSyncSQLite", "EmbedSyncTesting", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EmbedSyncTiktokenTests", dependencies: ["EmbedSyncTiktoken", "EmbedSyncCore"],
            exclude: ["make_fixture.py", "cl100k_fixture.json"], swiftSettings: swiftSettings),
        .testTarget(
            name: "EmbedSyncPostgresTests",
            dependencies: [
                "EmbedSyncPostgres", "EmbedSyncTesting", .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EmbedSyncLibSQLTests",
            dependencies: [
                "EmbedSyncLibSQL", "EmbedSyncTesting", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EmbedSyncLocalTests", dependencies: ["EmbedSyncLocal", "EmbedSyncCore", "CEmbedSyncKernels"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EmbedSyncOpenAITests", dependencies: ["EmbedSyncOpenAI", "EmbedSyncTesting"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EmbedSyncServerTests",
            dependencies: [
                "EmbedSyncServer", "EmbedSyncCLI", "EmbedSyncTesting", "EmbedSyncSQLite", "embedsync-example-search",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["openai_sdk_check.py", "page_check.py"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EmbedSyncCLITests",
            dependencies: [
                "EmbedSyncCLI", "EmbedSyncTesting", "EmbedSyncLibSQL", "EmbedSyncOpenAI", "EmbedSyncPostgres",
                "EmbedSyncSQLite", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["libsql_search.py", "openai_batch_client.py", "Golden"],
            swiftSettings: swiftSettings
        ),
    ]
)
