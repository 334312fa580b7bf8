import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// Passes with parameters as constants (`ForwardContext(parameterGradients: false)`, what the
/// explainers use): the parameters get no gradient, while gradients with respect to the input
/// and to captured activations are bitwise those of the full tape.
@Suite struct ConstantParameterTests {
    static let models = ["fixtures/models/unet_in4_c2.safetensors", "fixtures/models/smp_unet_resnet34_in4_c2.safetensors"]

    static func input() throws -> (Tensor, SegmentationTarget) {
        let reference = try #require(ExplainReference.cases.first { $0.name == "unet-ig-c1" })
        return (reference.input.tensor, reference.target)
    }

    /// True when some element is non-zero.
    static func isNonZero(_ t: Tensor) -> Bool { t.scalars.contains { $0 != 0 } }

    @Test func convolutionTreatsParameterLeavesAsConstants() {
        var generator = SeededGenerator(seed: 3)
        let x = Tensor.randomUniform(shape: [2, 3, 9, 9], low: -1, high: 1, using: &generator).requiringGradient()
        let w = Tensor.randomUniform(shape: [4, 3, 3, 3], low: -1, high: 1, using: &generator).parameterLeaf()
        let b = Tensor.randomUniform(shape: [4], low: -1, high: 1, using: &generator).parameterLeaf()
        let full = gradients(of: x.conv2d(weight: w, bias: b, padding: Padding2D(1)).relu().sum(), wrt: [x, w, b])
        let y = GradientMode.withoutParameterGradients { x.conv2d(weight: w, bias: b, padding: Padding2D(1)).relu().sum() }
        let constant = gradients(of: y, wrt: [x, w, b])
        #expect(Self.isNonZero(full[1]) && Self.isNonZero(full[2]))
        #expect(constant[0].scalars == full[0].scalars, "dy/dx is bitwise the full-tape gradient")
        #expect(!Self.isNonZero(constant[1]) && !Self.isNonZero(constant[2]), "no weight or bias gradient")
        // With nothing else on the tape the op is not recorded at all; plain leaves stay tracked.
        let off = GradientMode.withoutParameterGradients { x.detached().conv2d(weight: w, bias: b) }
        #expect(!off.requiresGradient)
        let watched = w.detached().requiringGradient()
        let tracked = GradientMode.withoutParameterGradients { x.detached().conv2d(weight: watched).sum() }
        #expect(Self.isNonZero(gradients(of: tracked, wrt: [watched])[0]))
        #expect(GradientMode.parameterGradientsEnabled)
    }

    @Test(arguments: models)
    func inputGradientsAreUnchangedAndParametersGetNone(_ path: String) throws {
        let model = try ExplainReference.model(path)
        let (input, target) = try Self.input()
        let parameters = model.trainableParameters.map(\.parameter.value)
        func run(_ parameterGradients: Bool) -> [Tensor] {
            let x = input.requiringGradient()
            let logits = model(x, context: ForwardContext(mode: .evaluation, parameterGradients: parameterGradients))
            return gradients(of: logits, seed: target.seed(shape: logits.shape), wrt: [x] + parameters)
        }
        let full = run(true), constant = run(false)
        #expect(Self.isNonZero(full[0]))
        #expect(constant[0].scalars == full[0].scalars, "\(path): dy/dx differs from the full-tape gradient")
        #expect(full.dropFirst().contains(where: Self.isNonZero), "\(path): the full tape reaches some parameter")
        #expect(!constant.dropFirst().contains(where: Self.isNonZero), "\(path): a parameter received a gradient")
    }

    @Test(arguments: models)
    func activationGradientsAreUnchangedAndParametersGetNone(_ path: String) throws {
        let model = try ExplainReference.model(path)
        let (input, target) = try Self.input()
        let parameters = model.trainableParameters.map(\.parameter.value)
        func run(_ parameterGradients: Bool) throws -> [Tensor] {
            let context = ForwardContext(mode: .evaluation, captures: [model.defaultCAMLayer: .leaf],
                                         parameterGradients: parameterGradients)
            let logits = model(input, context: context)
            let activation = try #require(context.captured[model.defaultCAMLayer])
            return gradients(of: logits, seed: target.seed(shape: logits.shape), wrt: [activation] + parameters)
        }
        let full = try run(true), constant = try run(false)
        #expect(Self.isNonZero(full[0]))
        #expect(constant[0].scalars == full[0].scalars, "\(path): dy/dA differs from the full-tape gradient")
        #expect(full.dropFirst().contains(where: Self.isNonZero))
        #expect(!constant.dropFirst().contains(where: Self.isNonZero), "\(path): a parameter received a gradient")
        // The explainer itself runs this way: its map equals the one from the full-tape gradient.
        let explainer = CAMExplainer(model: model, method: .gradcamPlusPlus)
        let viaExplainer = try explainer.explain(input, targets: [target])[0]
        let activation = try explainer.forward(input).activation.detached()
        let fullMap = explainer.map(activation: activation, gradient: full[0], target: target,
                                    height: input.shape[2], width: input.shape[3])
        #expect(viaExplainer.map == fullMap.map)
    }
}
