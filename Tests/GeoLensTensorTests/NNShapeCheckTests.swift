import GeoLensTensor
import Testing

/// Bad shapes stop the process with a message that names the shapes (each runs in a child process).
@Suite("NN ops: shape errors name the shapes")
struct NNShapeCheckTests {
    @Test func groupsMustDivideChannels() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [1, 6, 2, 2]).groupNorm(groups: 4, weight: nil, bias: nil)
        }
        expectMessage(result, mentions: "[1, 6, 2, 2]")
    }

    @Test func batchNormStatisticsMustMatchChannels() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3, 2, 2]).batchNorm(mean: Tensor(zeros: [4]), variance: Tensor(zeros: [3]),
                                                       weight: nil, bias: nil)
        }
        expectMessage(result, mentions: "[4]")
    }

    @Test func poolWindowMustFit() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [1, 1, 2, 2]).maxPool2d(kernel: (3, 3))
        }
        expectMessage(result, mentions: "[1, 1, 2, 2]")
    }

    @Test func reflectPaddingMustBeSmallerThanTheAxis() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [1, 1, 3, 3]).padded(Padding2D(3), mode: .reflect)
        }
        expectMessage(result, mentions: "[1, 1, 3, 3]")
    }

    @Test func layerNormShapeMustBeTrailing() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 5, 4]).layerNorm(normalizedShape: [5], weight: nil, bias: nil)
        }
        expectMessage(result, mentions: "[2, 5, 4]")
    }
}

/// Expects the trap message on standard error to contain `fragment`.
private func expectMessage(_ result: ExitTest.Result?, mentions fragment: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    guard let result else { return }
    let message = String(decoding: result.standardErrorContent, as: UTF8.self)
    #expect(message.contains(fragment), "trap message does not name \(fragment): \(message)", sourceLocation: sourceLocation)
}
