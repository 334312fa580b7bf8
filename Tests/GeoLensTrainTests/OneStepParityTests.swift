import Foundation
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import GeoLensTrain
import Testing

/// One optimizer step from PyTorch's initial weights and batch must land within 1e-5 of
/// PyTorch's parameters (fixtures/reference/train/one_step.safetensors, scripts/reference/train_one_step.py).
@Suite struct OneStepParityTests {
    let reference: StateDict

    init() throws {
        reference = try CheckpointReader.read(Fixtures.url("fixtures/reference/train/one_step.safetensors"))
    }

    private func model() throws -> ClassicUNet {
        var generator = SeededGenerator(seed: 1)
        let unet = ClassicUNet(inChannels: 6, classes: 3, baseChannels: 4, depth: 2, generator: &generator)
        var initial = StateDict()
        for name in reference.names where name.hasPrefix("init.") {
            initial[String(name.dropFirst(5))] = .float(try #require(reference.tensor(name)))
        }
        try unet.load(initial, allowPartial: true)
        return unet
    }

    private var labels: [Int32] {
        reference.tensor("labels")!.scalars.map { Int32($0) }
    }

    /// Runs one training step and returns the worst parameter difference against `prefix.*`.
    private func step(optimizer: (ClassicUNet) -> any Optimizer, learningRate: Float, loss: any SegmentationLoss,
                      prefix: String) throws -> (worst: Float, loss: Float) {
        let unet = try model()
        let parameters = unet.trainableParameters
        let logits = unet.forward(try #require(reference.tensor("input")), context: ForwardContext(mode: .training))
        let value = loss(logits, labels: labels)
        let grads = gradients(of: value, wrt: parameters.map(\.parameter.value))
        optimizer(unet).step(parameters.map(\.parameter), gradients: grads, learningRate: learningRate)
        var worst: Float = 0
        for (name, parameter) in parameters {
            let expected = try #require(reference.tensor("\(prefix).\(name)"), "no reference for \(name)")
            for (a, b) in zip(parameter.value.scalars, expected.scalars) { worst = max(worst, abs(a - b)) }
        }
        return (worst, value.scalar)
    }

    @Test func sgdWithNesterovMomentumMatchesPyTorch() throws {
        let result = try step(optimizer: { _ in SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-4) }, learningRate: 0.1,
                              loss: CrossEntropyLoss(ignoreIndex: 255), prefix: "sgd")
        #expect(abs(result.loss - reference.tensor("loss.sgd")!.scalars[0]) < 1e-5)
        #expect(result.worst < 1e-5, "worst parameter difference \(result.worst)")
    }

    @Test func adamWWithoutDecayOnBiasesAndNormsMatchesPyTorch() throws {
        let weights = reference.tensor("class_weights")!.scalars
        let result = try step(optimizer: { unet in
            OptimizerFactory.make({ var c = OptimizerConfiguration(name: .adamw, learningRate: 0.01); c.weightDecay = 0.05; return c }(),
                                  parameters: unet.trainableParameters)
        }, learningRate: 0.01, loss: CrossEntropyLoss(classWeights: weights, ignoreIndex: 255, labelSmoothing: 0.1), prefix: "adamw")
        #expect(abs(result.loss - reference.tensor("loss.adamw")!.scalars[0]) < 1e-5)
        #expect(result.worst < 1e-5, "worst parameter difference \(result.worst)")
    }
}
