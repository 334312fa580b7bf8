import Foundation
import GeoLensTensor

// geolens-bench: release-mode micro-benchmarks, kept out of the test run.
//
//   geolens-bench conv [--threads N] [--repeats R] [--filter SUBSTRING]
//   geolens-bench onnx MODEL.onnx [--batch B] [--size S] [--threads T] [--no-split] (see ONNXBenchmark.swift)
//   geolens-bench train [--base B] [--depth D] [--batch N] [--size S] [--threads T] (see TrainBenchmark.swift)
//   geolens-bench shap MODEL --input TILE.bsq [--bands C] [--size S] [--batch B] (see ShapBenchmark.swift)
//
// prints one tab-separated line per case: name, median milliseconds per call, GFLOP/s.

let usage = """
    usage: geolens-bench conv [--threads N] [--repeats R] [--filter SUBSTRING]
           geolens-bench onnx MODEL.onnx [--batch B] [--size S] [--threads T] [--repeats R] [--warmup W] [--no-split] [--check RECORD.json]
           geolens-bench train [--base B] [--depth D] [--batch N] [--size S] [--threads T] [--steps K] [--warmup W]
           geolens-bench shap MODEL --input TILE.bsq [--bands C] [--size S] [--batch B] [--threads T] [--repeats R] [--reference shap_brute.json]
    """

/// Prints `error: message` and the usage to standard error and exits with status 64.
func usageError(_ message: String, usage: String = usage) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n\(usage)\n".utf8))
    exit(64)
}
var arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.isEmpty ? "conv" : arguments.removeFirst()
if command == "--help" || command == "-h" { print(usage); exit(0) }
if command == "onnx" { ONNXBenchmark.run(arguments) }
if command == "train" { TrainBenchmark.run(arguments) }
if command == "shap" { ShapBenchmark.run(arguments) }
var threads = 2, timing = Timing(), filter = ""
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    guard let value = arguments.first else { usageError("\(flag) needs a value") }
    arguments.removeFirst()
    switch flag {
    case "--threads": threads = Int(value) ?? threads
    case "--repeats": timing.repeats = Int(value) ?? timing.repeats
    case "--filter": filter = value
    default: usageError("unknown option \(flag)")
    }
}

switch command {
case "conv":
    Parallel.setThreadCount(threads)
    print("# geolens conv, threads \(Parallel.threadCount)")
    for bench in ConvBenchmark.all where filter.isEmpty || bench.name.contains(filter) {
        let ms = bench.run(timing: timing)
        let flops = Double(bench.multiplyAdds) * 2 * (bench.kind == .backward ? 2 : 1)
        print("\(bench.name)\t\(String(format3(ms)))\t\(String(format3(flops / ms / 1e6)))")
    }
default:
    usageError("unknown benchmark \(command)")
}

/// Three decimals without Foundation.
func format3(_ v: Double) -> String {
    let scaled = (v * 1000).rounded()
    let whole = Int(scaled) / 1000, frac = abs(Int(scaled) % 1000)
    return "\(whole)." + String(repeating: "0", count: 3 - String(frac).count) + String(frac)
}
