import Foundation
import GeoLensEval
import GeoLensTensor
import Testing

/// The input forms of `EvaluationAccumulator.add` agree with each other.
@Suite("Accumulator inputs")
struct AccumulatorInputTests {
    static let configuration = EvaluationConfiguration(classes: ["a", "b", "c"], ignoreIndex: 255)
    static let tiles = SyntheticTile.make(count: 4, classes: 3, side: 6, skill: 0.6, seed: 3)
    static var logits: Tensor { Tensor.concatenate(tiles.map(\.logits), alongAxis: 0) }
    static var labels: [Int32] { tiles.flatMap(\.labels) }
    static var ids: [String] { tiles.map(\.id) }

    static func state(_ body: (inout EvaluationAccumulator) -> Void) -> EvaluationState {
        var accumulator = EvaluationAccumulator(configuration: configuration)
        body(&accumulator)
        return accumulator.state
    }

    @Test("A bitmask and a flag array select the same pixels")
    func bitmaskMatchesFlags() {
        let flags = (0..<Self.labels.count).map { $0 % 7 != 3 }
        var bytes = [UInt8](repeating: 0, count: (flags.count + 7) / 8)
        for (i, f) in flags.enumerated() where f { bytes[i / 8] |= 1 << UInt8(i % 8) }
        let a = Self.state { $0.add(Self.logits, labels: Self.labels, valid: .flags(flags), tileIDs: Self.ids) }
        let b = Self.state { $0.add(Self.logits, labels: Self.labels, valid: .bitmask(bytes), tileIDs: Self.ids) }
        #expect(a == b)
        let all = Self.state { $0.add(Self.logits, labels: Self.labels, tileIDs: Self.ids) }
        #expect(a.totals.ignoredPixels == all.totals.ignoredPixels + Int64(flags.filter { !$0 }.count)
                - Int64(zip(flags, Self.labels).filter { !$0.0 && $0.1 == 255 }.count))
    }

    @Test("Label tensors equal label arrays; non-integer labels are excluded")
    func labelTensor() {
        let a = Self.state { $0.add(Self.logits, labels: Self.labels, tileIDs: Self.ids) }
        let tensor = Tensor(shape: [4, 6, 6], scalars: Self.labels.map(Float.init))
        let b = Self.state { $0.add(Self.logits, labels: tensor, tileIDs: Self.ids) }
        #expect(a == b)
        var odd = Self.labels.map(Float.init)
        odd[0] = 1.5
        odd[1] = .nan
        let c = Self.state { $0.add(Self.logits, labels: Tensor(shape: [odd.count], scalars: odd), tileIDs: Self.ids) }
        let excludedBefore = Int64(Self.labels[0..<2].filter { $0 == 255 }.count)
        #expect(c.totals.ignoredPixels == a.totals.ignoredPixels + 2 - excludedBefore)
    }

    @Test("Probabilities give the confusion matrix of their logits and the same entropy")
    func probabilitiesMatchLogits() throws {
        let logits = Self.logits
        let probabilities = Tensor(shape: logits.shape) { out in
            logits.withUnsafeBufferPointer { z in
                let plane = 36
                for n in 0..<4 {
                    for p in 0..<plane {
                        let values = (0..<3).map { Double(z[(n * 3 + $0) * plane + p]) }
                        let m = values.max()!
                        let e = values.map { exp($0 - m) }
                        let s = e.reduce(0, +)
                        for c in 0..<3 { out[(n * 3 + c) * plane + p] = Float(e[c] / s) }
                    }
                }
            }
        }
        let a = Self.state { $0.add(logits, labels: Self.labels, tileIDs: Self.ids) }
        var probabilityConfiguration = Self.configuration
        probabilityConfiguration.output = .probabilities
        var accumulator = EvaluationAccumulator(configuration: probabilityConfiguration)
        accumulator.add(probabilities, labels: Self.labels, tileIDs: Self.ids)
        let b = accumulator.state
        #expect(a.totals.confusion == b.totals.confusion)
        let ea = try #require(a.totals.meanEntropy), eb = try #require(b.totals.meanEntropy)
        #expect(abs(ea - eb) < 1e-6)
    }

    @Test("Images sharing a tile id add into one tile; default ids are sequential")
    func tileIDs() {
        let shared = Self.state { $0.add(Self.logits, labels: Self.labels, tileIDs: ["x", "y", "x", "y"]) }
        #expect(shared.sortedTileIDs == ["x", "y"])
        let separate = Self.state { $0.add(Self.logits, labels: Self.labels, tileIDs: Self.ids) }.totals
        // Counts are exact; float sums group differently (per tile), so they agree to rounding.
        #expect(shared.totals.confusion == separate.confusion)
        #expect(shared.totals.calibration.counts == separate.calibration.counts)
        #expect(abs(shared.totals.entropySum - separate.entropySum) < 1e-12 * separate.entropySum)
        let automatic = Self.state {
            $0.add(Self.logits, labels: Self.labels)
            $0.add(Self.logits, labels: Self.labels)
        }
        #expect(automatic.sortedTileIDs == (0..<8).map { "image_00000\($0)" })
    }

    @Test("State size does not depend on the number of pixels")
    func memoryIndependentOfPixels() {
        func run(side: Int) -> EvaluationState {
            let tiles = SyntheticTile.make(count: 2, classes: 3, side: side, skill: 0.6, seed: 1)
            var accumulator = EvaluationAccumulator(configuration: Self.configuration)
            accumulator.add(tiles, batch: 2)
            return accumulator.state
        }
        let small = run(side: 4), large = run(side: 64)
        #expect(large.totals.pixels > 200 * small.totals.pixels / 2)
        for state in [small, large] {
            #expect(state.tiles.count == 2)
            #expect(state.tiles.values.allSatisfy { $0.confusion.counts.count == 9 && $0.calibration.counts.count == 16 })
        }
    }
}

extension AccumulatorInputTests {
    @Test("Image validity: non-finite bands and per-band nodata values invalidate a pixel")
    func imageValidity() {
        // 1 image, 2 bands, 1 x 4 pixels.
        let images = Tensor(shape: [1, 2, 1, 4], scalars: [0, -9999, 1, .nan, /* band 2 */ 5, 5, 0, 5])
        guard case .flags(let flags) = PixelValidity.image(images, nodata: [-9999, 0]) else {
            Issue.record("expected per-pixel flags")
            return
        }
        #expect(flags == [true, false, false, false])
        guard case .flags(let noNodata) = PixelValidity.image(images) else { return }
        #expect(noNodata == [true, true, true, false])
    }
}
