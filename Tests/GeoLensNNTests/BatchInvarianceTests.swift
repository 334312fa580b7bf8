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
