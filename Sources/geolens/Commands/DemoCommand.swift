import ArgumentParser
import Foundation
import GeoLensPipeline

/// `geolens demo`: the whole flow on the bundled fixtures, through the same commands a user runs.
struct DemoCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole flow on the bundled fixtures (default output: reports/demo).",
        discussion: """
            Evaluates the two fixture checkpoints (fixtures/models/cloud_unet_a and _b) on the fixture tiles,
            predicts the fixture scene, explains one tile, and compares the two runs when those commands exist.
            Run it from the repository root, or pass --fixtures.
            """)

    @Option(help: "Output directory.") var out: String = "reports/demo"
    @Option(help: "The fixtures folder of the repository.") var fixtures: String = "fixtures"
    @Option(help: "Threads (default: all cores).") var threads: Int?

    func execute() throws {
        let root = URL(fileURLWithPath: fixtures)
        let required = ["models/cloud_unet_a.safetensors", "models/cloud_unet_b.safetensors", "tiles/images", "tiles/labels",
                        "scene/scene.tif"]
        for path in required where !FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path) {
            throw PipelineError.usage("fixture \(root.appendingPathComponent(path).path) is missing; run geolens demo from the repository root or pass --fixtures DIR")
        }
        let out = URL(fileURLWithPath: out)
        try FileSystem.createDirectory(out)
        let threadFlags = threads.map { ["--threads", String($0)] } ?? []
        func path(_ p: String) -> String { root.appendingPathComponent(p).path }

        for (name, checkpoint) in [("eval-a", "cloud_unet_a"), ("eval-b", "cloud_unet_b")] {
            printNote("demo: evaluating \(checkpoint) on \(path("tiles/images"))")
            try run(EvalCommand.self, ["--model", path("models/\(checkpoint).safetensors"), "--images", path("tiles/images"),
                                       "--labels", path("tiles/labels"), "--out", out.appendingPathComponent(name).path,
                                       "--write-predictions"] + threadFlags)
        }
        let explainDir = out.appendingPathComponent("eval-a/explain").path
        for (method, extra) in [("gradcam++", [String]()), ("shap-exact", ["--groups", "visible=1,2,3;nir=4;swir=5,6"])] {
            printNote("demo: explaining tile_r0_c0 with \(method)")
            try run(ExplainCommand.self, ["--model", path("models/cloud_unet_a.safetensors"),
                                          "--input", path("tiles/images/tile_r0_c0.tif"), "--labels", path("tiles/labels"),
                                          "--out", explainDir + "/" + method, "--method", method] + extra + threadFlags)
        }
        try run(ReportCommand.self, [out.appendingPathComponent("eval-a").path])
        printNote("demo: predicting the scene \(path("scene/scene.tif"))")
        try run(PredictCommand.self, ["--model", path("models/cloud_unet_a.safetensors"), "--input", path("scene/scene.tif"),
                                      "--out", out.appendingPathComponent("predict").path, "--probabilities"] + threadFlags)
        printNote("demo: comparing the two checkpoints")
        try run(CompareCommand.self, [out.appendingPathComponent("eval-a").path, out.appendingPathComponent("eval-b").path,
                                      "--out", out.appendingPathComponent("compare").path])
        print("demo: outputs in \(out.path): eval-a/report.html, eval-b/report.html, compare/comparison.html, predict/")
    }

    /// Runs a subcommand in this process with `arguments`, as if typed on the command line.
    private func run<C: ReportingCommand>(_ command: C.Type, _ arguments: [String]) throws {
        let parsed: C
        do { parsed = try C.parse(arguments) } catch {
            throw PipelineError.usage("demo: \(C.configuration.commandName ?? "command") \(arguments.joined(separator: " ")): \(C.message(for: error))")
        }
        try parsed.execute()
    }
}
