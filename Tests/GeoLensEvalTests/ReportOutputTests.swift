import Foundation
import GeoLensEval
import GeoLensTensor
import Testing

/// metrics.json keys and nulls, per_tile.csv, confusion.csv and atomic writes.
@Suite("Report outputs")
struct ReportOutputTests {
    static let configuration = EvaluationConfiguration(classes: ["clear", "cloud", "shadow"], ignoreIndex: 255)

    /// Two tiles: one normal, one whose labels are all ignored. Class "shadow" never appears.
    static var state: EvaluationState {
        var accumulator = EvaluationAccumulator(configuration: configuration,
                                                model: ModelIdentity(path: "m.onnx", sha256: "ab12", format: "onnx"))
        // [2, 3, 1, 2] logits: class 0 wins on even pixels, class 1 on odd pixels.
        let scores: [Float] = [3, -1, 3, -1, /* class 1 */ -1, 3, -1, 3, /* class 2 */ -5, -5, -5, -5,
                               3, -1, 3, -1, -1, 3, -1, 3, -5, -5, -5, -5]
        accumulator.add(Tensor(shape: [2, 3, 1, 4], scalars: scores), labels: [0, 1, 1, 255, 255, 255, 255, 255],
                        tileIDs: ["north,1", "south"])
        return accumulator.state
    }

    static func json() throws -> [String: Any] {
        let data = try MetricsReport(state: state, geolensVersion: "1.2.3", bootstrap: BootstrapOptions(resamples: 50)).jsonData()
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("metrics.json has every contract key, nulls for 0/0 and the model block")
    func metricsJSONKeys() throws {
        let json = try Self.json()
        let contractKeys = ["geolens_version", "model", "classes", "tiles", "pixels", "ignored_pixels", "overall_accuracy",
                            "miou", "miou_micro", "precision_macro", "recall_macro", "f1_macro", "f1_micro", "dice_macro",
                            "kappa", "per_class", "confusion_matrix", "uncertainty", "ci95"]
        for key in contractKeys { #expect(json[key] != nil, "missing key \(key)") }
        #expect(json["geolens_version"] as? String == "1.2.3")
        #expect((json["model"] as? [String: Any])?["sha256"] as? String == "ab12")
        #expect(json["tiles"] as? Int == 2 && json["pixels"] as? Int == 3 && json["ignored_pixels"] as? Int == 5)
        #expect(json["confusion_matrix"] as? [[Int]] == [[1, 0, 0], [1, 1, 0], [0, 0, 0]])
        let perClass = try #require(json["per_class"] as? [[String: Any]])
        #expect(perClass.map { $0["class"] as? String } == ["clear", "cloud", "shadow"])
        for key in ["iou", "precision", "recall", "f1", "dice"] {
            #expect(perClass[2][key] is NSNull, "shadow \(key) should be null")
        }
        #expect(perClass[1]["support"] as? Int == 2 && perClass[1]["predicted"] as? Int == 1)
        #expect(perClass[1]["precision"] as? Double == 1)
        let uncertainty = try #require(json["uncertainty"] as? [String: Any])
        for key in ["mean_entropy", "mean_entropy_normalized", "ece", "ece_bins", "mutual_information"] {
            #expect(uncertainty[key] != nil, "missing uncertainty.\(key)")
        }
        #expect(uncertainty["mutual_information"] is NSNull)
        #expect(uncertainty["ece_bins"] as? Int == 15)
        let ci = try #require(json["ci95"] as? [String: Any])
        #expect((ci["miou"] as? [Double])?.count == 2 && (ci["overall_accuracy"] as? [Double])?.count == 2)
    }

    @Test("Doubles in metrics.json round-trip exactly (read back with JSONDecoder)")
    func doublesRoundTrip() throws {
        struct Uncertainty: Decodable { let mean_entropy: Double }
        struct Subset: Decodable { let miou: Double; let kappa: Double; let uncertainty: Uncertainty }
        let data = try MetricsReport(state: Self.state, geolensVersion: "1.2.3", bootstrap: BootstrapOptions(resamples: 5)).jsonData()
        let decoded = try JSONDecoder().decode(Subset.self, from: data)
        let metrics = Self.state.metrics
        #expect(decoded.miou == metrics.miou)
        #expect(decoded.kappa == metrics.kappa)
        #expect(decoded.uncertainty.mean_entropy == Self.state.totals.entropySum / 3)
    }

    @Test("per_tile.csv: header, quoting, empty fields for 0/0")
    func perTileCSV() {
        let csv = EvaluationCSV.perTile(Self.state.tileResults, classes: Self.configuration.classes)
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "tile,pixels,ignored,accuracy,miou,mean_entropy,iou_clear,iou_cloud,iou_shadow")
        #expect(lines[1].hasPrefix("\"north,1\",3,1,0.6666666666666666,0.5,"))
        #expect(lines[1].hasSuffix(",0.5,0.5,"))
        #expect(lines[2] == "south,0,4,,,,,,")
        #expect(lines.count == 4 && lines[3].isEmpty)
    }

    @Test("confusion.csv: class names on both axes")
    func confusionCSV() {
        let csv = EvaluationCSV.confusion(Self.state.totals.confusion, classes: Self.configuration.classes)
        #expect(csv == """
            reference\\predicted,clear,cloud,shadow
            clear,1,0,0
            cloud,1,1,0
            shadow,0,0,0

            """)
    }

    @Test("Atomic writes replace the file and leave no temporary behind")
    func atomicWrite() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("geolens-atomic-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("nested/metrics.json")
        try AtomicFile.write("first", to: url)
        try AtomicFile.write("second", to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path) == ["metrics.json"])
        let blocked = url.appendingPathComponent("child.json")  // parent is a file: cannot write
        let error = try #require(throws: EvaluationError.self) { try AtomicFile.write("x", to: blocked) }
        #expect(error.code == .writeFailed && error.message.contains("child.json"))
    }
}

extension ReportOutputTests {
    @Test("An output directory holds the four files, and its state.json reproduces metrics.json")
    func outputDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("geolens-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = BootstrapOptions(resamples: 40, seed: 5)
        try EvaluationOutputs.write(Self.state, to: directory, geolensVersion: "9.9.9", bootstrap: options)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["confusion.csv", "metrics.json", "per_tile.csv", "state.json"])
        let reloaded = try EvaluationState.load(from: directory.appendingPathComponent("state.json"))
        let again = try MetricsReport(state: reloaded, geolensVersion: "9.9.9", bootstrap: options).jsonData()
        #expect(try Data(contentsOf: directory.appendingPathComponent("metrics.json")) == again)
    }
}
