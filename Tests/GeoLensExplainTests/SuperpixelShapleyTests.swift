import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// The SHAP family over band groups crossed with SLIC superpixel cells.
@Suite struct SuperpixelShapleyTests {
    /// The fixture U-Net, its reference input, a validity mask with a nodata stripe, and the
    /// superpixel features (groups {0, 1} and {2, 3}) restricted to the valid pixels.
    struct Setup {
        let model: any SegmentationModel
        let input: Tensor
        let validity: [Bool]
        let segmentation: SuperpixelSegmentation
        let groups: [[Int]]
        let features: [AttributionFeature]
        let target: SegmentationTarget
    }

    static func setup() throws -> Setup {
        let reference = try #require(ExplainReference.cases.first { $0.name == "unet-shap-grid" })
        let input = reference.input.tensor
        let (height, width) = (input.shape[2], input.shape[3])
        let validity = (0..<height * width).map { i in !(i % width >= 13 && i % width < 16 && i / width < 20) }
        let segmentation = SLICSuperpixels.segment(input, validity: validity, parameters: .init(segments: 3))
        let groups = [[0, 1], [2, 3]]
        let features = FeatureGroups.crossed(groups.enumerated().map { AttributionFeature(name: "g\($0.offset)", channels: $0.element) },
                                             segments: segmentation)
            .map { $0.restricted(to: validity, height: height, width: width) }
        return Setup(model: try ExplainReference.model(reference.model), input: input, validity: validity,
                     segmentation: segmentation, groups: groups, features: features, target: reference.target)
    }

    @Test func exactShapleyOverSuperpixelCellsIsCompleteAndMatchesBruteForce() throws {
        let s = try Self.setup()
        let (channels, height, width) = (s.input.shape[1], s.input.shape[2], s.input.shape[3])
        let plane = height * width
        let cells = s.segmentation.count, m = s.features.count
        try #require((2...4).contains(cells) && m == 2 * cells, "\(cells) superpixels, \(m) features")
        let baseline = try Baseline.tileMean.tensor(for: s.input)
        let result = try ExactShapley.explain(model: s.model, input: s.input, baseline: baseline,
                                              features: s.features, targets: [s.target])[0]
        let gap = result.fullValue - result.baseValue
        #expect(abs(result.completenessResidual) < 1e-4 * max(abs(gap), 1), "completeness residual \(result.completenessResidual)")

        // Brute force, independent of the span bookkeeping: feature (group g, cell k) is present in
        // coalition `bits` at bit g * cells + (k - 1); a pixel takes x where its feature is present
        // or where it is nodata, the baseline elsewhere.
        let x = s.input.scalars, b = baseline.scalars
        var v = [Double](repeating: 0, count: 1 << m)
        for bits in 0..<(1 << m) {
            let composed = Tensor(shape: s.input.shape) { out in
                for c in 0..<channels {
                    let g = s.groups.firstIndex { $0.contains(c) }!
                    for i in 0..<plane {
                        let label = Int(s.segmentation.labels[i])
                        let present = !s.validity[i] || bits & (1 << (g * cells + label - 1)) != 0
                        out[c * plane + i] = present ? x[c * plane + i] : b[c * plane + i]
                    }
                }
            }
            v[bits] = s.target.values(of: s.model(composed))[0]
        }
        // Shapley values as the mean marginal contribution over all m! orderings.
        var phi = [Double](repeating: 0, count: m), orderings = 0
        func permute(_ prefix: [Int], _ rest: [Int]) {
            guard !rest.isEmpty else {
                var bits = 0
                for i in prefix { phi[i] += v[bits | (1 << i)] - v[bits]; bits |= 1 << i }
                orderings += 1
                return
            }
            for (k, i) in rest.enumerated() { permute(prefix + [i], Array(rest[..<k] + rest[(k + 1)...])) }
        }
        permute([], Array(0..<m))
        let scale = max(abs(gap), phi.map { abs($0 / Double(orderings)) }.max() ?? 0, 1e-3)
        for i in 0..<m {
            let expected = phi[i] / Double(orderings)
            #expect(abs(result.values[i] - expected) <= 1e-5 * scale, "\(s.features[i].name): \(result.values[i]) vs brute force \(expected)")
        }
        #expect(abs(result.baseValue - v[0]) <= 1e-6 * max(abs(v[0]), 1))
        #expect(abs(result.fullValue - v[(1 << m) - 1]) <= 1e-6 * max(abs(v[(1 << m) - 1]), 1))
        #expect(result.featureNames == (0..<2).flatMap { g in (1...cells).map { "g\(g)@s\($0)" } })
    }

    @Test func integratedGradientGroupSumsOverCellsAddUpToTheValidPixels() throws {
        let s = try Self.setup()
        let (height, width) = (s.input.shape[2], s.input.shape[3])
        let baseline = try Baseline.tileMean.tensor(for: s.input)
        let result = IntegratedGradients.explain(model: s.model, input: s.input, baseline: baseline, targets: [s.target], steps: 4)[0]
        let sums = result.groupSums(s.features)
        // Cells cover the valid pixels once per channel group; the groups cover every channel.
        var expected = 0.0
        for c in 0..<result.channels {
            for i in 0..<height * width where s.validity[i] { expected += Double(result.values[c * height * width + i]) }
        }
        #expect(abs(sums.reduce(0, +) - expected) <= 1e-6 * max(abs(expected), 1))
        #expect(s.features.allSatisfy { $0.pixelCount(height: height, width: width) > 0 })
        #expect(s.features.prefix(s.segmentation.count).reduce(0) { $0 + $1.pixelCount(height: height, width: width) }
                == s.validity.filter { $0 }.count)
    }

    @Test func inputsOutsideEveryFeatureKeepTheirValueInEveryCoalition() throws {
        let s = try Self.setup()
        // Only channel 0, and only over the valid pixels: the other channels and the nodata stripe stay at x.
        let features = FeatureGroups.crossed([AttributionFeature(name: "b1", channels: [0])], segments: s.segmentation)
        let baseline = try Baseline.zero.tensor(for: s.input)
        let result = try ExactShapley.explain(model: s.model, input: s.input, baseline: baseline, features: features, targets: [s.target])[0]
        let fx = s.target.values(of: s.model(s.input))[0]
        #expect(abs(result.fullValue - fx) <= 1e-9 * max(abs(fx), 1), "f(x) \(fx), v(all features) \(result.fullValue)")
        var partial = s.input.scalars
        let (height, width) = (s.input.shape[2], s.input.shape[3])
        for i in 0..<height * width where s.segmentation.labels[i] > 0 { partial[i] = 0 }
        let expectedBase = s.target.values(of: s.model(Tensor(shape: s.input.shape, scalars: partial)))[0]
        // Coalitions run from the input convolution's per-feature terms (`CoalitionEvaluator`), which
        // round differently from convolving the composed input: about 1e-8 relative here, while a
        // nodata pixel or channel taken from the baseline would move the value by far more.
        #expect(abs(result.baseValue - expectedBase) <= 1e-6 * max(abs(expectedBase), 1))
    }
}
