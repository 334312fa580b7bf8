import Foundation
import GeoLensTestSupport
import Testing

/// `geolens train` end to end with configs/train-tiny.yaml on the fixture tiles.
@Suite(.serialized) struct TrainCommandTests {
    @Test func trainsWritesARunDirectoryAndResumes() throws {
        let out = try GeoLensCLI.temporaryDirectory("train-cli")
        let first = try GeoLensCLI.run(["train", "--config", "configs/train-tiny.yaml", "--set", "out=\(out.path)"],
                                       in: Fixtures.root)
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let runs = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(runs.count == 1)
        let run = out.appendingPathComponent(try #require(runs.first))
        #expect(run.lastPathComponent.hasPrefix("unet-cross_entropy-"))
        for name in ["best.safetensors", "best.json", "last.safetensors", "last.optimizer.safetensors", "history.csv"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(name).path), "missing \(name)")
        }
        let csv = try String(contentsOf: run.appendingPathComponent("history.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 3)
        #expect(csv.hasPrefix("epoch,train_loss,train_entropy,val_loss,val_miou,val_accuracy,val_entropy,lr,tiles_per_second"))
        #expect(first.stdout.contains("run: \(run.path)"))

        let resumed = try GeoLensCLI.run(["train", "--config", "configs/train-tiny.yaml", "--set", "out=\(out.path)",
                                          "--set", "epochs=3", "--resume"], in: Fixtures.root)
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        let history = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("history.json"))) as? [Any]
        #expect(history?.count == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).count == 1, "resume must reuse the run directory")

        let second = try GeoLensCLI.run(["train", "--config", "configs/train-tiny.yaml", "--set", "out=\(out.path)",
                                         "--set", "epochs=1"], in: Fixtures.root)
        #expect(second.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted().last?.hasSuffix("-2") == true)
    }

    @Test func aMistypedKeyIsAUsageErrorNamingIt() throws {
        let result = try GeoLensCLI.run(["train", "--config", "configs/train-tiny.yaml", "--set", "optimizer.learning_rte=0.1"],
                                        in: Fixtures.root)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("error: "))
        #expect(result.stderr.contains("learning_rte") && result.stderr.contains("did you mean 'learning_rate'"))
    }
}
