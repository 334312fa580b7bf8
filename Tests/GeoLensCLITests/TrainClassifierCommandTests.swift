import Foundation
import GeoLensTestSupport
import Testing

/// `geolens train` of a built-in resnet18 tile classifier on the classification fixture chips,
/// then `geolens eval` of the trained checkpoint with its report and `geolens compare` of two runs.
@Suite(.serialized) struct TrainClassifierCommandTests {
    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test("train resnet18 -> eval with report -> compare with McNemar's test")
    func trainEvalCompare() throws {
        let root = try GeoLensCLI.temporaryDirectory("train-classifier-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        var runs: [URL] = []
        for seed in [3, 4] {
            let run = root.appendingPathComponent("train-\(seed)")
            let result = try GeoLensCLI.run(["train", "--config", "configs/train-classification.yaml", "--set", "run_dir=\(run.path)",
                                             "--set", "seed=\(seed)", "--set", "hooks.tensorboard=false",
                                             // 16 stem channels instead of torchvision's 64: seconds in a debug build.
                                             "--set", "model.architecture_options.width=16"], in: Fixtures.root)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let history = try String(contentsOf: run.appendingPathComponent("history.csv"), encoding: .utf8)
            #expect(history.split(separator: "\n").count == 3, "\(history)")
            let card = try Self.json(run.appendingPathComponent("best.json"))
            #expect(card["task"] as? String == "classification" && card["architecture"] as? String == "resnet18")
            runs.append(run)
        }
        var evals: [URL] = []
        for (i, run) in runs.enumerated() {
            let out = root.appendingPathComponent("eval-\(i)")
            let result = try GeoLensCLI.run(["eval", "--model", run.appendingPathComponent("best.safetensors").path,
                                             "--images", "fixtures/classification/images", "--class-folders", "--out", out.path],
                                            in: Fixtures.root)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stdout.contains("eval: classification, 15 tiles"), "\(result.stdout)")
            let metrics = try Self.json(out.appendingPathComponent("metrics.json"))
            #expect(metrics["task"] as? String == "classification" && metrics["overall_accuracy"] is Double)
            let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
            #expect(html.contains("ROC curves") && htmlImageSources(html) != nil)
            evals.append(out)
        }
        let out = root.appendingPathComponent("compare")
        let result = try GeoLensCLI.run(["compare", evals[0].path, evals[1].path, "--out", out.path, "--resamples", "100"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let comparison = try Self.json(out.appendingPathComponent("comparison.json"))
        let pair = try #require((comparison["pairs"] as? [[String: Any]])?.first)
        let mcnemar = try #require(pair["mcnemar"] as? [String: Any])
        #expect(mcnemar["b"] as? Int == pair["only_a"] as? Int && mcnemar["c"] as? Int == pair["only_b"] as? Int)
        #expect(mcnemar["test"] as? String == "exact" && mcnemar["p_value"] is Double)
        let html = try String(contentsOf: out.appendingPathComponent("comparison.html"), encoding: .utf8)
        #expect(html.contains("McNemar's test") && html.contains("exact binomial test"))
    }

    @Test("A tile-task training config with a pixel-only loss is one error line naming the key")
    func badLoss() throws {
        let out = try GeoLensCLI.temporaryDirectory("train-classifier-bad")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["train", "--config", "configs/train-classification.yaml", "--set", "loss.name=dice",
                                         "--set", "out=\(out.path)"], in: Fixtures.root)
        #expect(result.status == 64, "\(result.status) \(result.stderr)")
        #expect(result.stderr.contains("error: ") && result.stderr.contains("loss.name 'dice' does not apply to task 'classification'"),
                "\(result.stderr)")
    }
}
