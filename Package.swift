// swift-tools-version: 6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "GeoLens",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "geolens", targets: ["geolens"]),
        .library(name: "GeoLensTensor", targets: ["GeoLensTensor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System libraries: the only places C headers enter the package.
        .systemLibrary(
            name: "CGDAL", path: "Sources/CGDAL", pkgConfig: "gdal",
            providers: [.apt(["libgdal-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),

        // Tensor engine: storage, ops forward and backward, reverse-mode tape, BLAS, threads.
        .target(
            name: "GeoLensTensor", dependencies: ["COpenBLAS"],
            path: "Sources/GeoLensTensor", swiftSettings: strictSwift),

        // The command-line tool.
        .executableTarget(
            name: "geolens",
            dependencies: [
                "GeoLensTensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/geolens", swiftSettings: strictSwift),

        // Release-mode benchmarks, kept out of the test run (`make bench`).
        .executableTarget(
            name: "geolens-bench", dependencies: ["GeoLensTensor"],
            path: "Benchmarks/geolens-bench", swiftSettings: strictSwift),

        .testTarget(
            name: "GeoLensTensorTests", dependencies: ["GeoLensTensor"],
            path: "Tests/GeoLensTensorTests"),
    ],
    swiftLanguageModes: [.v6]
)
