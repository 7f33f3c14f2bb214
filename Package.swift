// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "SluiceCore", targets: ["SluiceCore"]),
        .library(name: "SluiceSteps", targets: ["SluiceSteps"]),
        .library(name: "SluiceClient", targets: ["SluiceClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP over HTTP only (protobuf or JSON): the gRPC exporter's packages would add minutes
        // to every cold build for a protocol collectors also accept over HTTP.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        // Property-based tests (round trips), test targets only.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // Pure core: definitions, step-type registry, type checker, schema validation,
        // execution state machine. No I/O, no dependencies.
        .target(name: "SluiceCore"),
        // The Argo Workflows front door's translation: an Argo Workflow into a Sluice
        // definition, and an execution's state into Argo's status. Pure, like the core.
        .target(name: "SluiceArgo", dependencies: ["SluiceCore"]),
        // Store protocol, records and the in-memory driver.
        .target(name: "SluiceStore", dependencies: [
            "SluiceCore",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // The embedded SQLite driver (GRDB), with numbered migrations.
        .target(name: "SluiceSQLite", dependencies: [
            "SluiceCore", "SluiceStore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // The PostgreSQL driver (postgres-nio), with numbered migrations applied under an
        // advisory lock so several nodes can start at once.
        .target(name: "SluicePostgres", dependencies: [
            "SluiceCore", "SluiceStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The engine: group commit, scheduler, executor, recovery.
        .target(name: "SluiceEngine", dependencies: [
            "SluiceCore", "SluiceStore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
        ]),
        // Step types that touch the world: HTTP.Request (with the destination policy) and Process.
        .target(name: "SluiceSteps", dependencies: [
            "SluiceCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Subprocess", package: "swift-subprocess"),
        ]),
        // Webhook delivery: fan-out of events to deliveries, signed attempts with retries.
        .target(name: "SluiceWebhooks", dependencies: [
            "SluiceCore", "SluiceStore", "SluiceSteps", "StandardWebhooks",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Instrumentation", package: "swift-distributed-tracing"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The HTTP API: thin controllers over the engine. Resources/openapi.yaml is the API
        // contract (the repository's openapi.yaml links to it), served with the /docs page.
        .target(name: "SluiceServer", dependencies: [
            "SluiceCore", "SluiceStore", "SluiceEngine", "SluiceSteps", "SluiceWebhooks", "StandardWebhooks",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            "SluiceYAML", "SluiceArgo",
        ], resources: [
            .copy("Resources/openapi.yaml"),
            .copy("Resources/docs.html"),
            .copy("Resources/ui"),
        ]),
        .executableTarget(name: "sluice", dependencies: [
            "SluiceCLI", "SluiceCore", "SluiceStore", "SluiceSQLite", "SluicePostgres", "SluiceEngine", "SluiceServer", "SluiceSteps", "SluiceWebhooks",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "OTel", package: "swift-otel"),
        ]),
        // YAML read as JSON values and JSON values written as YAML (the contract, the CLI's files and -o yaml).
        .target(name: "SluiceYAML", dependencies: [
            "SluiceCore",
            .product(name: "Yams", package: "Yams"),
        ]),
        // The client commands of `sluice` (workflow, run, execution, logs, step-types) on top of
        // SluiceClient: argument parsing, tables, YAML and JSON output, the --watch view.
        .target(name: "SluiceCLI", dependencies: [
            "SluiceCore", "SluiceClient", "SluiceYAML",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // What the fuzzers drive (.ci/fuzz) and the corpus replay tests check: each parser and
        // checker a client's input reaches, with the properties every input must keep.
        .target(name: "SluiceFuzzing", dependencies: ["SluiceCore", "SluiceYAML"]),
        // Standard Webhooks signing and verification (HMAC-SHA256), shared by the sender and by
        // receivers. Only swift-crypto, so receivers can depend on it without the server.
        .target(name: "StandardWebhooks", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The Swift client of the HTTP API, and the verifier for people receiving Sluice webhooks.
        // Only the core's JSON value, never the server, engine or store.
        .target(name: "SluiceClient", dependencies: [
            "SluiceCore", "StandardWebhooks",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // What the test targets share: `TestStore.make()` ("some store": MemoryStore, or
        // PostgreSQL with SLUICE_TEST_STORE=postgres) and the `.testStores` trait that drops the
        // PostgreSQL schemas a test made. Only test targets depend on it.
        .target(name: "SluiceTestSupport", dependencies: [
            "SluiceStore", "SluicePostgres",
        ], path: "Tests/SluiceTestSupport"),
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"]),
        // The fuzz corpus and every input a fuzzer once broke, replayed; the property-based
        // round trips (JSON and YAML written then read).
        .testTarget(name: "SluiceFuzzingTests", dependencies: [
            "SluiceFuzzing", "SluiceCore", "SluiceYAML",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "SluiceArgoTests", dependencies: ["SluiceArgo", "SluiceCore"]),
        .testTarget(name: "StandardWebhooksTests", dependencies: ["StandardWebhooks", "SluiceClient"]),
        .testTarget(name: "SluiceStoreTests", dependencies: [
            "SluiceCore", "SluiceStore", "SluiceSQLite", "SluicePostgres", "SluiceTestSupport",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "SluiceEngineTests", dependencies: [
            "SluiceCore", "SluiceStore", "SluiceEngine", "SluiceSQLite", "SluicePostgres", "SluiceTestSupport",
            .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "SluiceWebhooksTests", dependencies: ["SluiceCore", "SluiceStore", "SluiceWebhooks"]),
        .testTarget(name: "SluiceServerTests", dependencies: [
            "SluiceCore", "SluiceArgo", "SluiceStore", "SluiceEngine", "SluiceServer", "SluiceSQLite", "SluicePostgres", "SluiceSteps", "SluiceWebhooks", "StandardWebhooks", "SluiceTestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "SluiceClientTests", dependencies: [
            "SluiceClient", "SluiceServer", "SluiceEngine", "SluiceStore", "SluiceCore", "SluiceTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "SluiceStepsTests", dependencies: [
            "SluiceCore", "SluiceSteps", "SluiceStore", "SluiceEngine", "SluiceTestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "SluiceCLITests", dependencies: [
            "SluiceCLI", "SluiceClient", "SluiceCore", "SluiceYAML", "SluiceServer", "SluiceEngine", "SluiceStore", "SluiceTestSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "SluiceIntegrationTests", dependencies: [
            "sluice", "SluiceStore", "SluicePostgres", "SluiceTestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
    ]
)
