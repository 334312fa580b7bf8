public import GeoLensNN
public import GeoLensTensor

/// Spearman rank correlation: the Pearson correlation of the ranks, ties sharing their average rank.
public enum SpearmanCorrelation {
    /// 1-based ranks of `values`, tied values receiving the mean of the ranks they span.
    public static func averageRanks(_ values: [Float]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for i in start...end { ranks[order[i]] = rank }
            start = end + 1
        }
        return ranks
    }

    /// Spearman's rho of two equally long maps; 0 when either map is constant.
    public static func rank(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "SpearmanCorrelation: maps of \(a.count) and \(b.count) values")
        let (ra, rb) = (averageRanks(a), averageRanks(b))
        let n = Double(a.count)
        guard n > 1 else { return 0 }
        let (ma, mb) = (ra.reduce(0, +) / n, rb.reduce(0, +) / n)
        var (sab, saa, sbb) = (0.0, 0.0, 0.0)
        for i in ra.indices {
            let (da, db) = (ra[i] - ma, rb[i] - mb)
            sab += da * db
            saa += da * da
            sbb += db * db
        }
        guard saa > 0, sbb > 0 else { return 0 }
        return sab / (saa * sbb).squareRoot()
    }
}

/// Deletion and insertion curves of a pixel attribution map: pixels (all bands at once) are
/// replaced by the baseline (deletion) or copied from the input into the baseline (insertion)
/// in order of attribution, largest first, in `steps` equal steps; each AUC is the mean of the
/// target score y over steps 0...k. A faithful map gives a low deletion and a high insertion AUC.
public enum DeletionInsertion {
    public struct Result: Sendable {
        public let deletionAUC: Double
        public let insertionAUC: Double
        public let steps: Int
        /// y after 0...k steps.
        public let deletionCurve: [Double]
        public let insertionCurve: [Double]
    }

    /// Pixel indices of an H x W map, largest attribution first (ties by index).
    public static func order(_ map: [Float]) -> [Int] {
        map.indices.sorted { map[$0] > map[$1] || (map[$0] == map[$1] && $0 < $1) }
    }

    public static func auc(model: any SegmentationModel, input: Tensor, baseline: Tensor, map: [Float],
                           target: SegmentationTarget, steps: Int = 10, batchSize: Int = 8) -> Result {
        precondition(input.rank == 4 && input.shape[0] == 1 && baseline.shape == input.shape,
                     "DeletionInsertion: input \(input.shape) and baseline \(baseline.shape) must both be [1, C, H, W]")
        let (channels, plane) = (input.shape[1], input.shape[2] * input.shape[3])
        precondition(map.count == plane, "DeletionInsertion: map of \(map.count) values for \(plane) pixels")
        let k = max(1, steps)
        let ranked = order(map)
        let x = input.scalars, b = baseline.scalars
        /// The input after `step` steps: the first pixels of the order come from `top`, the rest from `rest`.
        func composed(_ step: Int, top: [Float], rest: [Float]) -> [Float] {
            var out = rest
            let count = Int((Double(step) * Double(plane) / Double(k)).rounded())
            for pixel in ranked.prefix(count) {
                for c in 0..<channels { out[c * plane + pixel] = top[c * plane + pixel] }
            }
            return out
        }
        let items = (0...k).map { composed($0, top: b, rest: x) } + (0...k).map { composed($0, top: x, rest: b) }
        var scores: [Double] = []
        let itemShape = Array(input.shape.dropFirst()), itemSize = channels * plane
        let chunk = max(1, batchSize)
        for start in stride(from: 0, to: items.count, by: chunk) {
            let part = items[start..<min(start + chunk, items.count)]
            let batch = Tensor(shape: [part.count] + itemShape) { out in
                for (i, item) in part.enumerated() { for j in 0..<itemSize { out[i * itemSize + j] = item[j] } }
            }
            let logits = model(batch)
            scores += target.values(of: logits)
        }
        let deletion = Array(scores[0...k]), insertion = Array(scores[(k + 1)...])
        return Result(deletionAUC: deletion.reduce(0, +) / Double(k + 1), insertionAUC: insertion.reduce(0, +) / Double(k + 1),
                      steps: k, deletionCurve: deletion, insertionCurve: insertion)
    }
}

/// Cascading model randomization (Adebayo et al. 2018): the parameterized modules are
/// re-initialized from the output side inwards, the attribution recomputed after each cumulative
/// step and compared with the original map by Spearman correlation. The original parameters are
/// restored afterwards; batch norms that follow convolutions are folded again after every change
/// (as `ModelLoader` leaves them).
public enum ModelRandomization {
    public struct Step: Sendable, Equatable {
        /// The deepest module randomized so far (every module from the output up to it is).
        public let layer: String
        public let spearman: Double
    }

    /// Modules that own trainable parameters, output-most first.
    public static func parameterizedModules(_ model: any Module) -> [(path: String, module: any Module)] {
        model.namedModules().filter { entry in entry.module.parameters.contains { $0.parameter.kind == .parameter } }.reversed()
    }

    /// Re-initializes a module's trainable parameters like the layer constructors do: weights of rank
    /// >= 2 and their biases uniform in +-1/sqrt(fan_in), normalization weights 1 and biases 0.
    static func reinitialize(_ module: any Module, generator: inout SeededGenerator) {
        let own = module.parameters.filter { $0.parameter.kind == .parameter }
        let weight = own.first { $0.parameter.shape.count >= 2 }?.parameter
        let fanIn = weight.map { $0.shape.dropFirst().reduce(1, *) } ?? 1
        let bound = 1 / Float(max(fanIn, 1)).squareRoot()
        for (name, parameter) in own {
            let shape = parameter.shape
            if shape.count >= 2 || weight != nil {
                parameter.value = .randomUniform(shape: shape, low: -bound, high: bound, using: &generator)
            } else {
                parameter.value = Tensor(shape: shape, repeating: name == "weight" ? 1 : 0)
            }
        }
    }

    /// Runs the cascade with at most `maxSteps` cut points evenly spaced over the parameterized
    /// modules (the last cut randomizes all of them); `attribution` recomputes the map on the
    /// current (partly randomized) model.
    public static func cascade(model: any Module, original: [Float], maxSteps: Int = 5, seed: UInt64 = 0,
                               attribution: () throws(ExplainError) -> [Float]) throws(ExplainError) -> [Step] {
        let modules = parameterizedModules(model)
        guard !modules.isEmpty, maxSteps > 0 else { return [] }
        let saved = model.namedParameters().map { ($0.parameter, $0.parameter.value) }
        defer {
            for (parameter, value) in saved { parameter.value = value }
            model.foldBatchNorms()
        }
        let cuts = min(maxSteps, modules.count)
        var generator = SeededGenerator(seed: seed)
        var done = 0
        var steps: [Step] = []
        for i in 1...cuts {
            let end = Int((Double(i) * Double(modules.count) / Double(cuts)).rounded())
            guard end > done else { continue }
            for index in done..<end { reinitialize(modules[index].module, generator: &generator) }
            done = end
            model.foldBatchNorms()
            let map = try attribution()
            steps.append(Step(layer: modules[end - 1].path, spearman: SpearmanCorrelation.rank(original, map)))
        }
        return steps
    }
}
