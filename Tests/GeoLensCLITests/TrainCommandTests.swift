import Foundation
import GeoLensGeo
import GeoLensReport
import GeoLensTestSupport
import Testing

/// `geolens train` end to end with configs/train-tiny.yaml on the fixture tiles.
@Suite(.serialized) struct TrainCommandTests {
    static func json(_ url: URL) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: url)) }

    /// The float values of band 1 of a GeoTIFF.
    static func values(_ url: URL) throws -> [Float] { try Raster(path: url.path).read().values.scalars }

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
        #expect(csv.hasPrefix("epoch,train_loss,train_entropy,val_loss,val_miou,val_accuracy,val_entropy,val_f1_macro,lr,tiles_per_second"))
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

    @Test func attributionSnapshotsAreWhatExplainGivesOnTheLastCheckpoint() throws {
        let root = try GeoLensCLI.temporaryDirectory("train-snapshots")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run")
        let trained = try GeoLensCLI.run(["train", "--config", "configs/train-tiny.yaml", "--set", "run_dir=\(run.path)",
                                          "--set", "epochs=3"], in: Fixtures.root)
        #expect(trained.status == 0, "stderr: \(trained.stderr)")
        let snapshots = run.appendingPathComponent("snapshots")
        #expect(trained.stdout.contains("attribution snapshots: \(snapshots.appendingPathComponent("index.html").path)"))
        #expect(trained.stderr.contains("attribution snapshots: GradCAM++ of 1 validation tile(s) x 2 class(es)"))
        let folders = try FileManager.default.contentsOfDirectory(atPath: snapshots.path).filter { $0.hasPrefix("epoch-") }.sorted()
        #expect(folders == ["epoch-002", "epoch-003"])
        let csv = try String(contentsOf: run.appendingPathComponent("history.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.first?.hasSuffix(",tiles_per_second,snapshots") == true)
        #expect(csv.map { $0.split(separator: ",", omittingEmptySubsequences: false).last ?? "" }
                == ["snapshots", "", "snapshots/epoch-002", "snapshots/epoch-003"])

        let index = try #require(try Self.json(snapshots.appendingPathComponent("snapshots.json")) as? [String: Any])
        let tile = try #require((index["tiles"] as? [String])?.first)
        let entries = try #require(index["snapshots"] as? [[String: Any]])
        #expect(entries.count == 2 * 2)
        let last = entries.filter { $0["epoch"] as? Int == 3 }
        #expect(last.compactMap { $0["class"] as? String } == ["clear", "cloud"])

        // `geolens explain` on the checkpoint of the same epoch: the same map and figure. (The loader
        // folds batch norms into the convolutions, so raw values agree to float rounding.)
        let explained = root.appendingPathComponent("explain")
        let explain = try GeoLensCLI.run(["explain", "--model", run.appendingPathComponent("last.safetensors").path,
                                          "--input", Fixtures.url("fixtures/tiles/images/\(tile)").path, "--method", "gradcam++",
                                          "--class", "clear", "--class", "cloud", "--out", explained.path])
        #expect(explain.status == 0, "stderr: \(explain.stderr)")
        let attributions = try #require(try Self.json(explained.appendingPathComponent("attributions.json")) as? [String: Any])
        let records = try #require(attributions["records"] as? [[String: Any]])
        let stem = (tile as NSString).deletingPathExtension
        for entry in last {
            let name = try #require(entry["class"] as? String), files = try #require(entry["files"] as? [String: String])
            let record = records.first { $0["class"] as? String == name }
            #expect(record?["target_pixels"] as? Int == entry["target_pixels"] as? Int)
            #expect(record?["layer"] as? String == entry["layer"] as? String)
            let ours = try Self.values(snapshots.appendingPathComponent(try #require(files["map"])))
            let theirs = try Self.values(explained.appendingPathComponent("\(stem)_gradcam++_\(name).tif"))
            #expect(ours.count == theirs.count && zip(ours, theirs).allSatisfy { abs($0 - $1) <= 1e-5 }, "map of \(name)")
            let a = try PNGReader.decode(Data(contentsOf: snapshots.appendingPathComponent(try #require(files["heatmap"]))))
            let b = try PNGReader.decode(Data(contentsOf: explained.appendingPathComponent("\(stem)_gradcam++_\(name).png")))
            #expect(a.width == b.width && a.height == b.height && a.layout == b.layout)
            // The maps agree; the captions differ only in the snapshot's epoch.
            let map = AttributionFigure.Layout(mapWidth: 64, mapHeight: 64, hasNote: false, hasScaleBar: true).map
            #expect(zip(a.cropped(to: map).pixels, b.cropped(to: map).pixels).allSatisfy { abs(Int($0) - Int($1)) <= 2 },
                    "heatmap of \(name)")
        }
        #expect(try Raster(path: snapshots.appendingPathComponent("epoch-003/\(stem)_class-clear.tif").path).geoTransform
                == Raster(path: Fixtures.url("fixtures/tiles/images/\(tile)").path).geoTransform)
    }

    @Test func snapshotSettingMistakesAreUsageErrors() throws {
        for (assignment, words) in [("hooks.attribution_snapshots.evry=2", ["evry", "did you mean 'every'"]),
                                    ("hooks.attribution_snapshots.classes=[snow]", ["hooks.attribution_snapshots.classes", "snow"]),
                                    ("hooks.attribution_snapshots.every=0", ["every", "at least 1"])] {
            let result = try GeoLensCLI.run(["train", "--config", "configs/train-tiny.yaml", "--set", assignment,
                                             "--set", "out=/nonexistent-geolens-dir"], in: Fixtures.root)
            #expect(result.status == 64, "\(assignment): \(result.stderr)")
            #expect(result.stderr.hasPrefix("error: ") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(words.allSatisfy { result.stderr.contains($0) }, "\(assignment): \(result.stderr)")
        }
    }

    /// A real `kill -9` of `geolens train` right after its first checkpoint, then `--resume`: the
    /// checkpoints, history and snapshots end as those of a run that was never interrupted.
    @Test func resumeAfterAKillEndsLikeAnUninterruptedRun() throws {
        let root = try GeoLensCLI.temporaryDirectory("train-kill")
        defer { try? FileManager.default.removeItem(at: root) }
        let epochs = 12
        func arguments(_ dir: URL) -> [String] {
            ["train", "--config", "configs/train-tiny.yaml", "--set", "epochs=\(epochs)", "--set", "run_dir=\(dir.path)"]
        }
        let straight = root.appendingPathComponent("straight")
        let uninterrupted = try GeoLensCLI.run(arguments(straight), in: Fixtures.root)
        #expect(uninterrupted.status == 0, "stderr: \(uninterrupted.stderr)")

        let killed = root.appendingPathComponent("killed")
        let process = Process()
        process.executableURL = GeoLensCLI.executable
        process.arguments = arguments(killed)
        process.currentDirectoryURL = Fixtures.root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let firstCheckpoint = killed.appendingPathComponent("last.meta.json")
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline, !FileManager.default.fileExists(atPath: firstCheckpoint.path) {
            usleep(1_000)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL,
                "the run ended on its own (status \(process.terminationStatus)) before the kill: the test proves nothing")
        let meta = try #require(try Self.json(firstCheckpoint) as? [String: Any])
        let checkpointed = try #require(meta["epoch"] as? Int)
        #expect(checkpointed < epochs - 1, "the kill came after the last epoch's checkpoint")

        let resumed = try GeoLensCLI.run(arguments(killed) + ["--resume"], in: Fixtures.root)
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        for name in ["last.safetensors", "last.optimizer.safetensors", "best.safetensors", "last.json"] {
            #expect(try Data(contentsOf: straight.appendingPathComponent(name)) == Data(contentsOf: killed.appendingPathComponent(name)),
                    "\(name) differs from the uninterrupted run's (killed after epoch \(checkpointed + 1))")
        }
        func rows(_ dir: URL) throws -> [NSDictionary] {
            let rows = try #require(try Self.json(dir.appendingPathComponent("history.json")) as? [[String: Any]])
            return rows.map { row in
                var row = row
                row["tiles_per_second"] = nil
                return row as NSDictionary
            }
        }
        let (a, b) = (try rows(straight), try rows(killed))
        #expect(a.count == epochs && a == b, "history differs after resume")
        let snapshots = "snapshots/snapshots.json"
        #expect(try Self.json(straight.appendingPathComponent(snapshots)) as? NSDictionary
                == Self.json(killed.appendingPathComponent(snapshots)) as? NSDictionary)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: killed.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left in the run directory: \(leftovers)")
    }
}
