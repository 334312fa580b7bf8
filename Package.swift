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
        .library(name: "GeoLensNN", targets: ["GeoLensNN"]),
        .library(name: "GeoLensGeo", targets: ["GeoLensGeo"]),
        .library(name: "GeoLensEval", targets: ["GeoLensEval"]),
        .library(name: "GeoLensExplain", targets: ["GeoLensExplain"]),
        .library(name: "GeoLensReport", targets: ["GeoLensReport"]),
        .library(name: "GeoLensTrain", targets: ["GeoLensTrain"]),
        .library(name: "GeoLensPipeline", targets: ["GeoLensPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
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
        .systemLibrary(
            name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo",
            providers: [.apt(["libcairo2-dev", "fonts-dejavu-core"])]),

        // Hot loops that need AVX2/FMA or AVX-512 (chosen at run time, portable C otherwise):
        // depthwise convolution planes, sigmoid/SiLU, convolution epilogues, Winograd F(4x4) transforms.
        .target(name: "CGeoLensKernels", path: "Sources/CGeoLensKernels"),

        // Tensor engine: storage, ops forward and backward, reverse-mode tape, BLAS, threads.
        .target(
            name: "GeoLensTensor", dependencies: ["COpenBLAS", "CGeoLensKernels"],
            path: "Sources/GeoLensTensor", swiftSettings: strictSwift),

        // Layers, architectures, model cards and checkpoint formats (safetensors, PyTorch zip, ONNX).
        .target(
            name: "GeoLensNN",
            dependencies: [
                "GeoLensTensor",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            path: "Sources/GeoLensNN", swiftSettings: strictSwift),

        // GDAL raster IO: readers, writers, tile datasets, scene tiling and stitching.
        .target(
            name: "GeoLensGeo", dependencies: ["CGDAL", "GeoLensTensor"],
            path: "Sources/GeoLensGeo", swiftSettings: strictSwift),

        // Streaming metrics: confusion matrix, calibration, uncertainty, bootstrap, shard states.
        .target(
            name: "GeoLensEval", dependencies: ["GeoLensTensor"],
            path: "Sources/GeoLensEval", swiftSettings: strictSwift),

        // Attribution: CAM methods, the SHAP family, segmentation targets, sanity checks.
        .target(
            name: "GeoLensExplain", dependencies: ["GeoLensNN", "GeoLensTensor"],
            path: "Sources/GeoLensExplain", swiftSettings: strictSwift),

        // Reports: PNG (libpng), labelled figures (Cairo), colormaps, composites, SVG charts, HTML run
        // and comparison reports.
        .target(
            name: "GeoLensReport", dependencies: ["CPNG", "CCairo", "GeoLensEval", "GeoLensTensor"],
            path: "Sources/GeoLensReport", swiftSettings: strictSwift),

        // Pipelines: the sample source (listing, pairing, reading per the model card), model sessions,
        // evaluation / prediction / explanation runs with journals, shards and merges, typed run
        // manifests, config documents (JSON/YAML), and the builders that turn run directories into reports.
        .target(
            name: "GeoLensPipeline",
            dependencies: ["GeoLensNN", "GeoLensGeo", "GeoLensEval", "GeoLensExplain", "GeoLensReport", "GeoLensTensor",
                           .product(name: "Yams", package: "Yams")],
            path: "Sources/GeoLensPipeline", swiftSettings: strictSwift),

        // Training: loop, hooks, losses, optimizers, schedules, checkpointing, resume; tiles come
        // through the pipeline's sample source; attribution snapshots use Explain's GradCAM++ and
        // Report's heatmaps.
        .target(
            name: "GeoLensTrain",
            dependencies: ["GeoLensNN", "GeoLensGeo", "GeoLensEval", "GeoLensExplain", "GeoLensReport", "GeoLensTensor",
                           "GeoLensPipeline"],
            path: "Sources/GeoLensTrain", swiftSettings: strictSwift),

        // The command-line tool.
        .executableTarget(
            name: "geolens",
            dependencies: [
                "GeoLensTensor", "GeoLensNN", "GeoLensGeo", "GeoLensEval",
                "GeoLensExplain", "GeoLensReport", "GeoLensTrain", "GeoLensPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/geolens", swiftSettings: strictSwift),

        // A Swift program that evaluates a folder of tiles and writes the report through the library.
        .executableTarget(
            name: "geolens-evaluate-folder", dependencies: ["GeoLensPipeline"],
            path: "Examples/EvaluateFolder", swiftSettings: strictSwift),

        // Release-mode benchmarks, kept out of the test run (`make bench`).
        .executableTarget(
            name: "geolens-bench", dependencies: ["GeoLensExplain", "GeoLensNN", "GeoLensTensor", "GeoLensTrain"],
            path: "Benchmarks/geolens-bench", swiftSettings: strictSwift),

        // Peak memory of streaming a large scene through GeoLensGeo (release, out of the test run).
        .executableTarget(
            name: "geolens-geo-bench", dependencies: ["GeoLensGeo", "GeoLensTensor"],
            path: "Benchmarks/geolens-geo-bench", swiftSettings: strictSwift),

        // Reference-fixture loading shared by the test targets.
        .target(
            name: "GeoLensTestSupport", dependencies: ["GeoLensTensor"],
            path: "Tests/GeoLensTestSupport"),
        .testTarget(
            name: "GeoLensTensorTests", dependencies: ["GeoLensTensor", "CGeoLensKernels", "GeoLensTestSupport"],
            path: "Tests/GeoLensTensorTests"),
        .testTarget(
            name: "GeoLensNNTests", dependencies: ["GeoLensNN", "GeoLensTestSupport"],
            path: "Tests/GeoLensNNTests"),
        .testTarget(
            name: "GeoLensGeoTests", dependencies: ["GeoLensGeo", "GeoLensTestSupport"],
            path: "Tests/GeoLensGeoTests"),
        .testTarget(
            name: "GeoLensEvalTests", dependencies: ["GeoLensEval", "GeoLensTestSupport"],
            path: "Tests/GeoLensEvalTests"),
        .testTarget(
            name: "GeoLensExplainTests", dependencies: ["GeoLensExplain", "GeoLensTestSupport"],
            path: "Tests/GeoLensExplainTests"),
        .testTarget(
            name: "GeoLensReportTests", dependencies: ["GeoLensReport", "GeoLensTestSupport"],
            path: "Tests/GeoLensReportTests"),
        .testTarget(
            name: "GeoLensTrainTests",
            dependencies: ["GeoLensTrain", "GeoLensExplain", "GeoLensGeo", "GeoLensReport", "GeoLensTestSupport"],
            path: "Tests/GeoLensTrainTests"),
        .testTarget(
            name: "GeoLensPipelineTests",
            dependencies: ["GeoLensPipeline", "GeoLensGeo", "GeoLensReport", "GeoLensExplain", "GeoLensNN", "GeoLensTestSupport"],
            path: "Tests/GeoLensPipelineTests"),
        // End-to-end tests of the built `geolens` binary.
        .testTarget(
            name: "GeoLensCLITests", dependencies: ["GeoLensTestSupport", "GeoLensGeo", "GeoLensReport", "GeoLensTrain"],
            path: "Tests/GeoLensCLITests"),
    ],
    swiftLanguageModes: [.v6]
)
