import Foundation
import GeoLensEval
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// One case of `fixtures/reference/metrics/torchmetrics.json` (see the generator's docstring).
struct MetricsCase: Decodable, CustomTestStringConvertible {
    struct Expected: Decodable {
        let confusion: [[Int64]]
        let pixels: Int64
        let ignoredPixels: Int64
        let overallAccuracy, miou, miouMicro, precisionMacro, recallMacro, f1Macro, f1Micro, kappa: Double?
        let iou, precision, recall, f1: [Double?]
        let ece, meanEntropy, meanEntropyNormalized, mutualInformation: Double?
        let perTile: [TileRow]
    }
    struct TileRow: Decodable {
        let tile: String
        let pixels, ignored: Int64
        let accuracy, miou, meanEntropy: Double?
        let iou: [Double?]
    }
    struct PublicAPI: Decodable {
        let overallAccuracy, miou, miouMicro, precisionMacro, recallMacro, f1Macro, f1Micro, kappa, ece: Double?
        let iou, precision, recall, f1: [Double]
    }

    let name: String
    let classes: Int
    let ignoreIndex: Int?
    let output: String
    let shape: [Int]
    let scores: [Float]
    let labels: [Int32]
    let valid: [Int]?
    let nonfinite: [Int]
    let tiles: [String]
    let mcSamples: [[Float]]?
    let expected: Expected
    let torchmetrics: PublicAPI?
    let torchmetricsDiffers: [String: String]

    var testDescription: String { name }

    var configuration: EvaluationConfiguration {
        EvaluationConfiguration(classes: (0..<classes).map { "class_\($0)" }, ignoreIndex: ignoreIndex,
                                output: output == "logits" ? .logits : .probabilities)
    }

    /// The model output with the non-finite entries put back (JSON cannot hold NaN).
    var outputTensor: Tensor {
        var values = scores
        for (k, index) in nonfinite.enumerated() { values[index] = k % 2 == 0 ? .nan : .infinity }
        return Tensor(shape: shape, scalars: values)
    }

    var validity: PixelValidity { valid.map { .flags($0.map { $0 != 0 }) } ?? .all }

    /// Runs the whole case through an accumulator, one image per `add` when `imageByImage`.
    func accumulate(imageByImage: Bool = false) -> EvaluationState {
        var accumulator = EvaluationAccumulator(configuration: configuration)
        let output = outputTensor
        if imageByImage {
            let plane = shape[2] * shape[3]
            let flags = valid.map { $0.map { $0 != 0 } }
            for i in 0..<shape[0] {
                let image = output.slice(alongAxis: 0, start: i, end: i + 1, step: 1)
                accumulator.add(image, labels: Array(labels[(i * plane)..<((i + 1) * plane)]),
                                valid: flags.map { .flags(Array($0[(i * plane)..<((i + 1) * plane)])) } ?? .all,
                                tileIDs: [tiles[i]])
            }
        } else {
            accumulator.add(output, labels: labels, valid: validity, tileIDs: tiles)
        }
        if let mcSamples {
            accumulator.addMonteCarloDropout(mcSamples.map { Tensor(shape: shape, scalars: $0) }, labels: labels,
                                             valid: validity, tileIDs: tiles)
        }
        return accumulator.state
    }
}

struct MetricsFixtureFile: Decodable {
    let torchmetrics: String
    let cases: [MetricsCase]

    static func load() throws -> [MetricsCase] {
        let data = try Data(contentsOf: Fixtures.url("fixtures/reference/metrics/torchmetrics.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(MetricsFixtureFile.self, from: data).cases
    }
}

/// Checks `actual` equals `expected` within `tolerance` relative (plus 1e-15 absolute, for values at 0),
/// or both are nil.
func expectClose(_ actual: Double?, _ expected: Double?, tolerance: Double = 1e-12, _ what: @autoclosure () -> String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    switch (actual, expected) {
    case (nil, nil): return
    case let (a?, e?):
        let error = abs(a - e)
        #expect(error <= tolerance * abs(e) + 1e-15,
                "\(what()): got \(a), expected \(e) (difference \(error))", sourceLocation: sourceLocation)
    default:
        Issue.record("\(what()): got \(String(describing: actual)), expected \(String(describing: expected))",
                     sourceLocation: sourceLocation)
    }
}
