import Foundation
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// Built-in architectures against PyTorch: key names and shapes, and logits of checkpoints saved
/// by PyTorch (scripts/reference/models.py) in both formats.
@Suite("Built-in architectures match PyTorch")
struct ArchitectureParityTests {
    static let fixtures = ["unet_in4_c2", "unet_in13_c5_bilinear", "smp_unet_resnet34_in4_c2", "smp_unet_resnet34_in13_c5"]

    struct Logits: Decodable { let input: ReferenceTensor; let output: ReferenceTensor }

    @Test("Logits equal PyTorch's within 1e-4", arguments: fixtures, ["pth", "safetensors"])
    func logits(name: String, format: String) throws {
        let base = Fixtures.url("fixtures/models/\(name)")
        let loaded = try ModelLoader.load(checkpoint: base.appendingPathExtension(format),
                                          card: base.appendingPathExtension("json"))
        #expect(loaded.keyReport?.isExact == true)
        let reference = try JSONDecoder().decode(Logits.self, from: Data(contentsOf: base.appendingPathExtension("logits.json")))
        let y = loaded.model(reference.input.tensor)
        let error = try #require(referenceError(y, reference.output))
        #expect(error.worst <= 1e-4, "\(name).\(format): max abs error \(error.worst)")
    }

    struct KeyList: Decodable {
        let entries: [String: [[KeyOrShape]]]
        init(from decoder: Decoder) throws { entries = try [String: [[KeyOrShape]]](from: decoder) }
    }
    enum KeyOrShape: Decodable {
        case name(String), shape([Int])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .name(s) } else { self = .shape(try c.decode([Int].self)) }
        }
    }

    @Test("Parameter names and shapes equal PyTorch's state_dict",
          arguments: ["smp-unet-resnet18", "smp-unet-resnet34", "smp-unet-resnet50", "unet", "unet-bilinear"])
    func keyNames(architecture: String) throws {
        let keys = try JSONDecoder().decode(KeyList.self, from: Data(contentsOf: Fixtures.url("fixtures/models/keys.json")))
        let expected = try #require(keys.entries[architecture]).map { pair -> (String, [Int]) in
            guard case .name(let n) = pair[0], case .shape(let s) = pair[1] else { fatalError("keys.json layout") }
            return (n, s)
        }
        var card = ModelCard(architecture: architecture == "unet-bilinear" ? "unet" : architecture,
                             inChannels: 6, classes: ["a", "b", "c"])
        if architecture == "unet-bilinear" { card.architectureOptions = ["bilinear": .bool(true)] }
        let model = try ModelRegistry.build(card)
        let ours = model.namedParameters().map { ($0.name, $0.parameter.shape) }
        #expect(ours.map(\.0).sorted() == expected.map(\.0).sorted())
        let expectedShapes = Dictionary(uniqueKeysWithValues: expected)
        for (name, shape) in ours { #expect(expectedShapes[name] == shape, "\(name)") }
    }

    @Test("Folding batch norms leaves evaluation outputs unchanged")
    func batchNormFolding() throws {
        let card = ModelCard(architecture: "smp-unet-resnet18", inChannels: 3, classes: ["a", "b"],
                             architectureOptions: ["encoder_depth": .number(3), "decoder_channels": .array([.number(16), .number(8), .number(4)])])
        let model = try ModelRegistry.build(card, seed: 3)
        // Non-trivial running statistics, as a trained model has.
        var rng = SeededGenerator(seed: 9)
        for (name, p) in model.namedParameters() where name.hasSuffix("running_var") {
            p.value = Tensor.randomUniform(shape: p.shape, low: 0.5, high: 1.5, using: &rng)
        }
        for (name, p) in model.namedParameters() where name.hasSuffix("running_mean") {
            p.value = Tensor.randomNormal(shape: p.shape, std: 0.2, using: &rng)
        }
        let x = Tensor.randomNormal(shape: [1, 3, 32, 32], using: &rng)
        let plain = model(x)
        #expect(model.foldBatchNorms() > 0)
        let folded = model(x)
        let diff = zip(plain.scalars, folded.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(diff < 1e-4)
    }

    @Test("Captured layers give gradients of a class score")
    func captureGradients() throws {
        let model = try ModelRegistry.build(ModelCard(architecture: "unet", inChannels: 4, classes: ["a", "b"],
                                                      architectureOptions: ["base_channels": .number(4), "depth": .number(2)]))
        var rng = SeededGenerator(seed: 1)
        let x = Tensor.randomNormal(shape: [1, 4, 16, 16], using: &rng)
        let context = ForwardContext(mode: .evaluation, captures: ["down2": .leaf, "inc.double_conv.0": .record])
        let y = model(x, context: context)
        let activation = try #require(context.captured["down2"])
        #expect(activation.shape == [1, 16, 4, 4])
        #expect(context.captured["inc.double_conv.0"]?.shape == [1, 4, 16, 16])
        let score = y.slice(alongAxis: 1, start: 1, end: 2).sum()
        let g = gradients(of: score, wrt: [activation])[0]
        #expect(g.shape == activation.shape)
        #expect(g.scalars.contains { $0 != 0 })
    }

    @Test("Training mode updates batch-norm running statistics as PyTorch does")
    func trainingModeBatchNorm() throws {
        let model = try ModelRegistry.build(ModelCard(architecture: "unet", inChannels: 2, classes: ["a", "b"],
                                                      architectureOptions: ["base_channels": .number(4), "depth": .number(1)]))
        let bn = try #require(model.namedParameters().first { $0.name == "inc.double_conv.1.running_mean" }?.parameter)
        let tracked = try #require(model.namedParameters().first { $0.name == "inc.double_conv.1.num_batches_tracked" }?.parameter)
        var rng = SeededGenerator(seed: 2)
        _ = model(Tensor.randomNormal(shape: [2, 2, 8, 8], mean: 1, using: &rng), context: ForwardContext(mode: .training))
        #expect(bn.value.scalars.contains { $0 != 0 })
        #expect(tracked.value.scalar == 1)
    }

    @Test("Unknown architecture and options are errors that suggest the right name")
    func registryErrors() {
        #expect(throws: ModelCardError.self) { try ModelRegistry.build(ModelCard(architecture: "smp-unet-resnet43", inChannels: 3, classes: ["a"])) }
        do {
            _ = try ModelRegistry.build(ModelCard(architecture: "unet", inChannels: 3, classes: ["a"], architectureOptions: ["dept": .number(3)]))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("did you mean 'depth'"))
        }
    }
}
