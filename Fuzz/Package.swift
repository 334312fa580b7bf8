// swift-tools-version: 6.1
import PackageDescription

// libFuzzer harnesses for GeoLens's file parsers, kept out of the main package's build and test
// run. Build and run them with `scripts/fuzz/run.sh TARGET SECONDS` (which passes
// `--sanitize=fuzzer --sanitize=address` and builds into `.build-fuzz`).
//
// Each harness is one function of the input bytes; its `main.swift` hands it to libFuzzer's
// driver (`FuzzDriver`).
let package = Package(
    name: "GeoLensFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        // The name is given because a path dependency's identity is its folder's name.
        .package(name: "GeoLens", path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport"),
        .executableTarget(
            name: "fuzz-safetensors",
            dependencies: ["FuzzSupport", .product(name: "GeoLensNN", package: "GeoLens")],
            path: "Sources/fuzz-safetensors"),
        .executableTarget(
            name: "fuzz-pickle",
            dependencies: ["FuzzSupport", .product(name: "GeoLensNN", package: "GeoLens")],
            path: "Sources/fuzz-pickle"),
        .executableTarget(
            name: "fuzz-onnx",
            dependencies: ["FuzzSupport", .product(name: "GeoLensNN", package: "GeoLens")],
            path: "Sources/fuzz-onnx"),
        .executableTarget(
            name: "fuzz-model-card",
            dependencies: ["FuzzSupport", .product(name: "GeoLensNN", package: "GeoLens")],
            path: "Sources/fuzz-model-card"),
        .executableTarget(
            name: "fuzz-config",
            dependencies: ["FuzzSupport", .product(name: "GeoLensPipeline", package: "GeoLens"),
                           .product(name: "GeoLensTrain", package: "GeoLens")],
            path: "Sources/fuzz-config"),
        .executableTarget(
            name: "fuzz-png",
            dependencies: ["FuzzSupport", .product(name: "GeoLensReport", package: "GeoLens")],
            path: "Sources/fuzz-png"),
        .executableTarget(
            name: "fuzz-label-table",
            dependencies: ["FuzzSupport", .product(name: "GeoLensPipeline", package: "GeoLens")],
            path: "Sources/fuzz-label-table"),
        .executableTarget(
            name: "fuzz-source-table",
            dependencies: ["FuzzSupport", .product(name: "GeoLensPipeline", package: "GeoLens"),
                           .product(name: "GeoLensGeo", package: "GeoLens")],
            path: "Sources/fuzz-source-table"),
    ],
    swiftLanguageModes: [.v6]
)
