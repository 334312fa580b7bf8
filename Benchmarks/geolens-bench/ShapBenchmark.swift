import Foundation
import GeoLensExplain
import GeoLensNN
import GeoLensTensor

/// `geolens-bench shap MODEL --input TILE.bsq --bands C --size S [--batch B] [--threads T] [--repeats R] [--reference shap_brute.json]`:
/// exact Shapley values over the C bands (one group each, 2^C coalitions, tile-mean baseline),
/// for every class on its own arg-max mask, the measurement scripts/reference/explain_benchmark.py
/// `--only shap-brute` makes with PyTorch. The tile is raw little-endian Float32, band-sequential
/// (that script's `input.bsq`). Runs alternate between the evaluator's input-convolution split
/// (what `geolens explain --method shap-exact` uses) and composing every coalition's input (the
/// path before the split), prints the best time of each, the largest difference between their
/// values, and with `--reference` the largest difference from PyTorch's values. Times are the
/// best wall and process CPU seconds per tile.
enum ShapBenchmark {
    static let usage = "usage: geolens-bench shap MODEL --input TILE.bsq [--bands C] [--size S] [--batch B] [--threads T] [--repeats R] [--reference shap_brute.json]"

    static func run(_ arguments: [String]) -> Never {
        var rest = arguments
        guard let path = rest.first, !path.hasPrefix("--") else { usageError("give the model file first", usage: usage) }
        rest.removeFirst()
        var input: String?, reference: String?
        var bands = 6, size = 256, batch = 8, threads = 2, repeats = 3
        while !rest.isEmpty {
            let flag = rest.removeFirst()
            guard let value = rest.first else { usageError("\(flag) needs a value", usage: usage) }
            rest.removeFirst()
            switch flag {
            case "--input": input = value
            case "--reference": reference = value
            case "--bands", "--size", "--batch", "--threads", "--repeats":
                guard let number = Int(value), number >= 1 else { usageError("\(flag) needs a positive number", usage: usage) }
                switch flag {
                case "--bands": bands = number
                case "--size": size = number
                case "--batch": batch = number
                case "--threads": threads = number
                default: repeats = number
                }
            default: usageError("unknown option \(flag)", usage: usage)
            }
        }
        guard let input else { usageError("give the tile with --input", usage: usage) }
        Parallel.setThreadCount(threads)
        do {
            let loaded = try ModelLoader.load(checkpoint: URL(fileURLWithPath: path))
            let model = loaded.model
            let data = try Data(contentsOf: URL(fileURLWithPath: input))
            guard data.count == bands * size * size * 4 else {
                usageError("\(input): \(data.count) bytes, expected \(bands) x \(size) x \(size) Float32", usage: usage)
            }
            let scalars = data.withUnsafeBytes { raw in
                (0..<bands * size * size).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            let x = Tensor(shape: [1, bands, size, size], scalars: scalars)
            let baseline = try Baseline.tileMean.tensor(for: x)
            let features = (0..<bands).map { AttributionFeature(name: "band \($0 + 1)", channels: [$0]) }
            let logits = model(x)
            let plane = size * size
            let prediction: [Int] = logits.withUnsafeBufferPointer { p in
                (0..<plane).map { i in (0..<model.classCount).max { p[$0 * plane + i] < p[$1 * plane + i] }! }
            }
            let targets = (0..<model.classCount).map { c in
                SegmentationTarget(classIndex: c, height: size, width: size, mask: prediction.map { $0 == c ? 1 : 0 })
            }
            print("# geolens shap-exact, \(bands) band groups, \(1 << bands) coalitions, \(targets.count) classes, batch \(batch), threads \(threads)")
            var best = (split: Double.infinity, composed: Double.infinity)
            var cpu = (split: Double.infinity, composed: Double.infinity)
            var values = (split: [[Double]](), composed: [[Double]]())
            for _ in 0..<repeats {
                for splitting in [true, false] {
                    let start = ContinuousClock.now, startCPU = processCPUMilliseconds()
                    let result = try ShapleyRuns.exact(model: model, input: x, baseline: baseline, features: features,
                                                       targets: targets, batchSize: batch, split: splitting)
                    let elapsed = ContinuousClock.now - start
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                    let cpuSeconds = (processCPUMilliseconds() - startCPU) / 1e3
                    if splitting { best.split = min(best.split, seconds); cpu.split = min(cpu.split, cpuSeconds); values.split = result }
                    else { best.composed = min(best.composed, seconds); cpu.composed = min(cpu.composed, cpuSeconds); values.composed = result }
                }
            }
            let scale = values.composed.joined().map(abs).max() ?? 1
            let difference = zip(values.split.joined(), values.composed.joined()).map { abs($0 - $1) }.max() ?? 0
            print("input-convolution split\t\(format3(best.split)) s/tile\tcpu \(format3(cpu.split)) s")
            print("composed inputs\t\(format3(best.composed)) s/tile\tcpu \(format3(cpu.composed)) s")
            print("largest |phi difference|\t\(difference) (largest |phi| \(scale))")
            if let reference {
                let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reference))) as? [String: Any]
                let classes = json?["classes"] as? [[String: Any]] ?? []
                var worst = 0.0, largest = 0.0
                for entry in classes {
                    guard let c = entry["class"] as? Int, c < values.split.count,
                          let phi = entry["values"] as? [Double], phi.count == bands else { continue }
                    for (a, b) in zip(values.split[c], phi) { worst = max(worst, abs(a - b)); largest = max(largest, abs(b)) }
                }
                print("largest |phi - PyTorch phi|\t\(worst) (largest |PyTorch phi| \(largest))")
            }
            print("# peak RSS \(format3(peakRSSMiB())) MiB")
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
        exit(0)
    }
}

/// Exact Shapley values per target with or without the input-convolution split.
enum ShapleyRuns {
    static func exact(model: any SegmentationModel, input: Tensor, baseline: Tensor, features: [AttributionFeature],
                      targets: [SegmentationTarget], batchSize: Int, split: Bool) throws -> [[Double]] {
        try ExactShapley.explain(model: model, input: input, baseline: baseline, features: features, targets: targets,
                                 batchSize: batchSize, splitInputConvolution: split).map(\.values)
    }
}
