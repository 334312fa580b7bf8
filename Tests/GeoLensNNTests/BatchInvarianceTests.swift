import GeoLensNN
import GeoLensTensor
import Testing

/// A tile's output must not depend on which other tiles share its batch: sharded, resumed and
/// single runs of `eval` give bit-identical numbers only if this holds.
@Suite("Batch invariance")
struct BatchInvarianceTests {
    @Test("Outputs of one image are bit-identical alone and in a batch", arguments: ["unet", "smp-unet-resnet18"])
    func batchInvariance(architecture: String) throws {
        var card = ModelCard(architecture: architecture, inChannels: 6, classes: ["a", "b", "c"])
        card.architectureOptions = architecture == "unet"
            ? ["base_channels": .number(8), "depth": .number(3)]
            : ["encoder_depth": .number(3), "decoder_channels": .array([.number(16), .number(8), .number(4)])]
        let model = try ModelRegistry.build(card, seed: 1)
        var rng = SeededGenerator(seed: 4)
        let a = Tensor.randomNormal(shape: [1, 6, 64, 64], using: &rng)
        let b = Tensor.randomNormal(shape: [1, 6, 64, 64], using: &rng)
        let alone = model(b)
        let together = model(Tensor.concatenate([a, b], alongAxis: 0)).slice(alongAxis: 0, start: 1, end: 2)
        let differing = zip(alone.scalars, together.scalars).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) of \(alone.count) values differ")
    }
}

/// Inference splits a batch into whole images across threads (`Module.inferenceForward`); the
/// logits must not depend on the thread count or on the split.
@Suite("Thread-count invariance")
struct ThreadInvarianceTests {
    static func models() throws -> [(String, any SegmentationModel)] {
        var card = ModelCard(architecture: "smp-unet-resnet18", inChannels: 6, classes: ["a", "b", "c"])
        card.architectureOptions = ["encoder_depth": .number(3), "decoder_channels": .array([.number(16), .number(8), .number(4)])]
        let builtIn = try ModelRegistry.build(card, seed: 1)
        let onnx = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url("unet_tf_efficientnet_b0_op13.onnx")))
        return [("smp-unet-resnet18", builtIn), ("unet_tf_efficientnet_b0_op13.onnx", onnx)]
    }

    @Test("Logits are bit-identical for 1, 2 and 3 threads, split by image or not")
    func threadCounts() throws {
        var rng = SeededGenerator(seed: 9)
        let x = Tensor.randomNormal(shape: [5, 6, 48, 32], using: &rng)
        #expect(Parallel.withThreadCount(2) { Parallel.batchSlices(5) } == ([0..<2, 2..<4], 4..<5))
        #expect(Parallel.withThreadCount(3) { Parallel.batchSlices(2) }.concurrent.isEmpty)
        for (name, model) in try Self.models() {
            let serial = Parallel.withThreadCount(1) { model(x) }
            let whole = Parallel.withThreadCount(2) {
                GradientMode.withoutRecording { model.forward(x, context: ForwardContext(mode: .evaluation)) }
            }
            for threads in [2, 3] {
                let split = Parallel.withThreadCount(threads) { model(x) }
                #expect(split.shape == serial.shape, "\(name)")
                let differing = zip(split.scalars, serial.scalars).filter { $0 != $1 }.count
                #expect(differing == 0, "\(name), \(threads) threads split by image: \(differing) of \(split.count) values differ")
            }
            let differing = zip(whole.scalars, serial.scalars).filter { $0 != $1 }.count
            #expect(differing == 0, "\(name), 2 threads within each op: \(differing) of \(whole.count) values differ")
        }
    }
}
