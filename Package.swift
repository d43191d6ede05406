// swift-tools-version:6.0
import PackageDescription

/// Kernels are compiled for AVX2 + FMA (haswell and later) on x86_64 hosts, so the elementwise loops
/// vectorise 8 floats wide. Graft builds from source on the machine that runs it.
#if arch(x86_64)
let kernelSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let kernelSettings: [SwiftSetting] = []
#endif

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
        .target(name: "CGraftKernels", path: "Sources/CGraftKernels"),
        .target(name: "Graft", dependencies: ["CBLAS", "CGraftKernels"], swiftSettings: kernelSettings),
        .target(name: "GraftNN", dependencies: ["Graft"]),
        .target(name: "GraftOptim", dependencies: ["Graft", "GraftNN"]),
        .target(name: "GraftIO", dependencies: ["Graft", "CHDF5"], swiftSettings: kernelSettings),
        .target(name: "GraftLM", dependencies: ["Graft", "GraftNN", "GraftOptim", "GraftIO", "CBLAS", "Yams"]),
        .executableTarget(name: "graft", dependencies: [
            "Graft", "GraftLM", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "GraftBench", dependencies: ["Graft", "GraftNN", "GraftOptim", "GraftIO", "CBLAS"],
                          path: "Benchmarks/GraftBench"),
        .testTarget(name: "GraftTests", dependencies: ["Graft", "GraftNN", "GraftOptim"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GraftIOTests", dependencies: ["GraftIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GraftLMTests", dependencies: ["GraftLM"], resources: [.copy("Fixtures")]),
    ]
)
