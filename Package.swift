// swift-tools-version:6.0
import PackageDescription

/// Release builds of the kernels want aggressive optimisation; unchecked is not used so that
/// preconditions in kernels still fire.
let kernelSettings: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "Graft",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Graft", targets: ["Graft", "GraftNN", "GraftOptim", "GraftIO", "GraftLM"]),
        .executable(name: "graft", targets: ["graft"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5"),
        .target(name: "Graft", dependencies: ["CBLAS"]),
        .target(name: "GraftNN", dependencies: ["Graft"]),
        .target(name: "GraftOptim", dependencies: ["Graft", "GraftNN"]),
        .target(name: "GraftIO", dependencies: ["Graft", "CHDF5"]),
        .target(name: "GraftLM", dependencies: ["Graft", "GraftNN", "GraftOptim", "GraftIO", "Yams"]),
        .executableTarget(name: "graft", dependencies: [
            "GraftLM", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "GraftBench", dependencies: ["Graft", "GraftNN", "GraftOptim", "CBLAS"],
                          path: "Benchmarks/GraftBench"),
        .testTarget(name: "GraftTests", dependencies: ["Graft", "GraftNN", "GraftOptim"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GraftIOTests", dependencies: ["GraftIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GraftLMTests", dependencies: ["GraftLM"], resources: [.copy("Fixtures")]),
    ]
)
