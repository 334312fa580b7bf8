import Foundation
import GeoLensNN
import GeoLensTensor

/// `geolens-bench onnx MODEL.onnx [--batch B] [--size S] [--threads T] [--repeats R] [--warmup W]`:
/// the inference time of an ONNX segmentation model on GeoLens (no tape), the same measurement
/// scripts/bench/onnx_ort.py makes with onnxruntime: a fixed pseudo-random input of
/// B x C x S x S (C from the graph; defaults 4 x C x 256 x 256), T threads, the median of R timed
/// runs after W warm-up runs. Prints one tab-separated line: model, shape, median ms, min ms,
/// process CPU ms. By default the batch is split into whole images across the threads, as every
/// GeoLens command runs inference (`Module.inferenceForward`); `--no-split` runs the whole batch
/// through each operation with the threads inside the operations, as onnxruntime does.
/// `--check RECORD.json` first compares the logits with a record written by
/// scripts/onnx/export_models.py (its `input` and onnxruntime `output`) and prints the worst difference.
/// `--profile` also prints the time per operator type over the timed runs (fused steps by their
/// parts), the counterpart of scripts/bench/onnx_ort_profile.py.
enum ONNXBenchmark {
    static let usage = "usage: geolens-bench onnx MODEL.onnx [--batch B] [--size S] [--threads T] [--repeats R] [--warmup W] [--no-split] [--check RECORD.json] [--profile]"

    static func run(_ arguments: [String]) -> Never {
        var rest = arguments
        guard let path = rest.first, !path.hasPrefix("--") else { usageError("give the model file first", usage: usage) }
        rest.removeFirst()
        var batch = 4, size = 256, threads = 2, timing = Timing(warmup: 2, repeats: 7)
        var record: String?
        var split = true, profiled = false
        while !rest.isEmpty {
            let flag = rest.removeFirst()
            if flag == "--no-split" { split = false; continue }
            if flag == "--profile" { profiled = true; continue }
            if flag == "--check", let value = rest.first { record = value; rest.removeFirst(); continue }
            guard let value = rest.first.flatMap(Int.init) else { usageError("\(flag) needs a number", usage: usage) }
            rest.removeFirst()
            switch flag {
            case "--batch": batch = value
            case "--size": size = value
            case "--threads": threads = value
            case "--repeats": timing.repeats = value
            case "--warmup": timing.warmup = value
            default: usageError("unknown option \(flag)", usage: usage)
            }
        }
        Parallel.setThreadCount(threads)
        do {
            let model = try ONNXSegmentationModel(model: try ONNXModel.load(URL(fileURLWithPath: path)))
            let loadedRSS = (peak: peakRSSMiB(), current: currentRSSMiB())
            if let record { try check(model, record: record) }
            let profile = profiled ? ONNXStepProfile() : nil
            model.executor.profile = profile
            var runs = 0
            var generator = SeededGenerator(seed: 42)
            let input = Tensor.randomNormal(shape: [batch, model.inChannels, size, size], using: &generator)
            var fastest = Double.infinity
            var cpu: [Double] = []
            let median = timing.medianMilliseconds {
                if runs == timing.warmup { profile?.reset() }
                runs += 1
                let start = ContinuousClock.now, startCPU = processCPUMilliseconds()
                consume(split ? model(input)
                    : GradientMode.withoutRecording { model.forward(input, context: ForwardContext(mode: .evaluation)) })
                let elapsed = ContinuousClock.now - start
                cpu.append(processCPUMilliseconds() - startCPU)
                fastest = min(fastest, Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
            }
            let cpuMedian = cpu.suffix(timing.repeats).sorted()[timing.repeats / 2]
            print("# geolens onnx, threads \(Parallel.threadCount), \(split ? "batch split by image" : "threads within operations"), "
                  + "AVX2 kernels \(CPUKernels.usesAVX2 ? "on" : "off")")
            print("\((path as NSString).lastPathComponent)\t\(batch)x\(model.inChannels)x\(size)x\(size)\t\(format3(median))\t\(format3(fastest))\tcpu \(format3(cpuMedian))")
            print("# RSS MiB: peak after loading \(format3(loadedRSS.peak)), resident after loading \(format3(loadedRSS.current)), "
                  + "peak \(format3(peakRSSMiB())), resident at the end \(format3(currentRSSMiB()))")
            let replay = model.executor.memory.replayCounts
            print("# planned memory: arenas \(format3(Double(model.executor.memory.arenaBytes) / 1_048_576)) MiB, "
                  + "\(replay.served) tensors from arenas, \(replay.fellBack) planned ones from the heap")
            if let profile {
                let entries = profile.entries, total = entries.reduce(0) { $0 + $1.milliseconds }
                print("# time per operator type, ms per run (all threads), \(timing.repeats) runs")
                for entry in entries where entry.milliseconds / total >= 0.002 {
                    print("\(entry.label)\t\(format3(entry.milliseconds / Double(timing.repeats)))\t\(format3(100 * entry.milliseconds / total))%\t\(entry.calls / timing.repeats) calls")
                }
            }
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }

    /// Prints the worst absolute difference between the model's logits and the record's.
    static func check(_ model: ONNXSegmentationModel, record path: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        func tensor(_ key: String) -> Tensor? {
            guard let entry = object?[key] as? [String: Any], let shape = entry["shape"] as? [Int],
                  let data = entry["data"] as? [Double] else { return nil }
            return Tensor(shape: shape, scalars: data.map(Float.init))
        }
        guard let input = tensor("input"), let expected = tensor("output") else {
            throw ONNXError(.invalidTensor, "\(path) has no input/output record")
        }
        let logits = model(input)
        let worst = zip(logits.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
        print("# check \((path as NSString).lastPathComponent): shape \(logits.shape), worst |difference| \(worst)")
    }
}
