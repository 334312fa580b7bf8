import Foundation
import GeoLensTestSupport
import GeoLensTrain
import Testing

/// `geolens train` writes TensorBoard event files: the history's scalars per epoch, the snapshot
/// figures as images, and a SessionLog START when a run is resumed.
@Suite("train writes TensorBoard event files", .serialized)
struct TrainTensorBoardTests {
    struct Row: Decodable {
        let epoch: Int
        let train_loss: Double
        let val_loss: Double?
        let val_miou: Double?
        let lr: Double
        let snapshots: String?
    }

    func scalars(_ events: [TensorBoardEvent]) -> [Int64: [String: Float]] {
        var result: [Int64: [String: Float]] = [:]
        for event in events {
            guard case .summary(let values) = event.content else { continue }
            for (tag, value) in values { if case .scalar(let v) = value { result[event.step, default: [:]][tag] = v } }
        }
        return result
    }

    @Test func scalarsImagesAndResume() throws {
        let root = try GeoLensCLI.temporaryDirectory("train-tensorboard")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run")
        let first = try GeoLensCLI.run(["train", "--config", "configs/train-tiny.yaml", "--set", "run_dir=\(run.path)"], in: Fixtures.root)
        #expect(first.status == 0, "\(first.stderr)")
        let files = TensorBoardEventFile.files(in: run)
        #expect(files.count == 1)
        let events = try TensorBoardEventFile.read(try #require(files.first))
        #expect(events.first?.content == .fileVersion("brain.Event:2"))
        let history = try JSONDecoder().decode([Row].self, from: Data(contentsOf: run.appendingPathComponent("history.json")))
        let logged = scalars(events)
        #expect(logged.keys.sorted() == [1, 2])
        for row in history {
            let values = try #require(logged[Int64(row.epoch + 1)])
            #expect(values["loss/train"] == Float(row.train_loss))
            #expect(values["loss/val"] == row.val_loss.map(Float.init))
            #expect(values["metrics/val_miou"] == row.val_miou.map(Float.init))
            #expect(values["learning_rate"] == Float(row.lr))
        }
        // Epoch 2 took snapshots: their figures are images of step 2.
        let images = events.flatMap { event -> [(Int64, String, Data, Int, Int)] in
            guard case .summary(let values) = event.content else { return [] }
            return values.compactMap { tag, value in
                if case let .image(png, width, height, _) = value { return (event.step, tag, png, width, height) }
                return nil
            }
        }
        let folder = run.appendingPathComponent(try #require(history.last?.snapshots))
        let pngs = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".png") }.sorted()
        #expect(images.map(\.1) == pngs.map { "snapshots/" + ($0 as NSString).deletingPathExtension })
        for image in images {
            #expect(image.0 == 2 && image.3 > 0 && image.4 > 0)
            #expect(image.2 == (try Data(contentsOf: folder.appendingPathComponent(String(image.1.dropFirst("snapshots/".count)) + ".png"))))
        }

        let resumed = try GeoLensCLI.run(["train", "--config", "configs/train-tiny.yaml", "--set", "run_dir=\(run.path)",
                                          "--set", "epochs=3", "--resume"], in: Fixtures.root)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let both = TensorBoardEventFile.files(in: run)
        #expect(both.count == 2)
        let second = try TensorBoardEventFile.read(try #require(both.last))
        #expect(second.contains { $0.step == 3 && $0.content == .sessionLog(status: 1, message: "resumed after epoch 2") })
        #expect(scalars(second).keys.sorted() == [3])
    }

    @Test func tensorboardFalseWritesNoEventFile() throws {
        let root = try GeoLensCLI.temporaryDirectory("train-no-tensorboard")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run")
        let result = try GeoLensCLI.run(["train", "--config", "configs/train-tiny.yaml", "--set", "run_dir=\(run.path)",
                                         "--set", "epochs=1", "--set", "hooks.tensorboard=false"], in: Fixtures.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(TensorBoardEventFile.files(in: run).isEmpty)
    }
}
