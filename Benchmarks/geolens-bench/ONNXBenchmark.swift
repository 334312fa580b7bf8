import Foundation
import GeoLensNN
import GeoLensTensor

/// `geolens-bench onnx MODEL.onnx [--batch B] [--size S] [--threads T] [--repeats R] [--warmup W]`:
/// the inference time of an ONNX segmentation model on GeoLens (no tape), the same measurement
/// scripts/bench/onnx_ort.py makes with onnxruntime: a fixed pseudo-random input of
/// B x C x S x S (C from the graph; defaults 4 x C x 256 x 256), T threads, the median of R timed
/// runs after W warm-up runs. Prints one tab-separated line: model, shape, median ms, min ms.
enum ONNXBenchmark {
    static let usage = "usage: geolens-bench onnx MODEL.onnx [--batch B] [--size S] [--threads T] [--repeats R] [--warmup W]"

    static func run(_ arguments: [String]) -> Never {
        var rest = arguments
        guard let path = rest.first, !path.hasPrefix("--") else { fatalError(usage) }
        rest.removeFirst()
        var batch = 4, size = 256, threads = 2, timing = Timing(warmup: 2, repeats: 7)
        while !rest.isEmpty {
            let flag = rest.removeFirst()
            guard let value = rest.first.flatMap(Int.init) else { fatalError("\(flag) needs a number\n\(usage)") }
            rest.removeFirst()
            switch flag {
            case "--batch": batch = value
            case "--size": size = value
            case "--threads": threads = value
            case "--repeats": timing.repeats = value
            case "--warmup": timing.warmup = value
            default: fatalError("unknown option \(flag)\n\(usage)")
            }
        }
        Parallel.setThreadCount(threads)
        do {
            let model = try ONNXSegmentationModel(model: try ONNXModel.load(URL(fileURLWithPath: path)))
            var generator = SeededGenerator(seed: 42)
            let input = Tensor.randomNormal(shape: [batch, model.inChannels, size, size], using: &generator)
            var fastest = Double.infinity
            let median = timing.medianMilliseconds {
                let start = ContinuousClock.now
                consume(model(input))
                let elapsed = ContinuousClock.now - start
                fastest = min(fastest, Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
            }
            print("# geolens onnx, threads \(Parallel.threadCount)")
            print("\((path as NSString).lastPathComponent)\t\(batch)x\(model.inChannels)x\(size)x\(size)\t\(format3(median))\t\(format3(fastest))")
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }
}
