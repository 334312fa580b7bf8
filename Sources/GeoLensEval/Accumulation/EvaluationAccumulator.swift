public import GeoLensTensor

/// Streams batches of model outputs and labels into an `EvaluationState`.
///
/// Each `add` makes one pass over the pixels of every image, in parallel over images; each
/// image fills its own tally (confusion matrix, ignored count, entropy sum, calibration bins),
/// and the tallies are recorded into their tiles in image order, so the result does not depend
/// on the thread count. Nothing per pixel is kept: memory is O(tiles x (C^2 + bins)).
///
/// Pixels are excluded (and counted as ignored) when the label equals `ignoreIndex`, lies
/// outside 0..<C, the validity mask marks the pixel as nodata, or any class score is not finite.
public struct EvaluationAccumulator: Sendable {
    /// The accumulated state (write it as `state.json`, or turn it into a `MetricsReport`).
    public private(set) var state: EvaluationState
    private var automaticTileCount = 0

    public init(configuration: EvaluationConfiguration, model: ModelIdentity? = nil) {
        state = EvaluationState(configuration: configuration, model: model)
    }

    /// Continues from an existing (e.g. resumed) state.
    public init(state: EvaluationState) {
        self.state = state
    }

    public var configuration: EvaluationConfiguration { state.configuration }

    /// Records a tile that could not be scored (it counts in no metric).
    public mutating func recordFailure(tile id: String, reason: String) {
        state.recordFailure(tile: id, reason: reason)
    }

    /// Adds one batch.
    ///
    /// - Parameters:
    ///   - output: `[N, C, H, W]` logits or probabilities, as `configuration.output` says.
    ///   - labels: N * H * W reference class ids, image-major.
    ///   - valid: which pixels hold image data (nodata and non-finite image pixels marked false,
    ///     e.g. with `PixelValidity.image(_:nodata:)`; default: all).
    ///   - tileIDs: one id per image; images sharing an id add into one tile. Default:
    ///     sequential ids `image_000000`, ... (not stable across shards: pass real ids when sharding).
    public mutating func add(_ output: Tensor, labels: [Int32], valid: PixelValidity = .all, tileIDs: [String]? = nil) {
        let (images, plane) = checkBatch(output, labelCount: labels.count, valid: valid)
        let ids = resolveTileIDs(tileIDs, images: images)
        guard images > 0, plane > 0 else { return }
        let edges = CalibrationBins.edges(binCount: configuration.calibrationBins)
        var tallies = [TileTally?](repeating: nil, count: images)
        output.withUnsafeBufferPointer { scores in
            labels.withUnsafeBufferPointer { labels in
                edges.withUnsafeBufferPointer { edges in
                    valid.withView { validity in
                        let batch = ImagePass.Batch(
                            output: scores, labels: labels, validity: validity,
                            classCount: configuration.classCount, planeSize: plane,
                            ignoreIndex: configuration.ignoreIndex, kind: configuration.output, edges: edges)
                        tallies.withUnsafeMutableBufferPointer { results in
                            Parallel.forEach(images) { i in results[i] = ImagePass.tally(image: i, of: batch) }
                        }
                    }
                }
            }
        }
        for i in 0..<images { state.record(tallies[i]!, tile: ids[i]) }
    }

    /// Adds one batch whose labels come as a tensor of N * H * W class ids stored as floats
    /// (any shape with that many elements). A value that is not an integer is treated as out of range.
    public mutating func add(_ output: Tensor, labels: Tensor, valid: PixelValidity = .all, tileIDs: [String]? = nil) {
        let ids = labels.withUnsafeBufferPointer { values in
            values.map { v -> Int32 in
                guard v.isFinite, v.rounded() == v, let id = Int32(exactly: v) else { return -1 }
                return id
            }
        }
        add(output, labels: ids, valid: valid, tileIDs: tileIDs)
    }

    /// Adds the mutual information of T Monte Carlo dropout passes over one batch (METRICS.md).
    ///
    /// - Parameters:
    ///   - samples: T `[N, C, H, W]` outputs of the same batch with dropout active.
    ///   - labels: when given, only pixels that `add` would score are used (same exclusions).
    ///   - tileIDs: one id per image, the same ids passed to `add`.
    public mutating func addMonteCarloDropout(_ samples: [Tensor], labels: [Int32]? = nil,
                                              valid: PixelValidity = .all, tileIDs: [String]) {
        precondition(!samples.isEmpty, "addMonteCarloDropout: need at least one sample output")
        let shape = samples[0].shape
        precondition(samples.allSatisfy { $0.shape == shape },
                     "addMonteCarloDropout: sample shapes differ: \(samples.map(\.shape))")
        let (images, plane) = checkBatch(samples[0], labelCount: labels?.count, valid: valid)
        precondition(tileIDs.count == images, "addMonteCarloDropout: \(tileIDs.count) tile ids for \(images) images")
        var results = [(sum: Double, pixels: Int64)](repeating: (0, 0), count: images)
        guard images > 0, plane > 0 else { return }
        Self.withBasePointers(samples[...]) { bases in
            Self.withOptionalBuffer(labels) { labels in
                valid.withView { validity in
                    let batch = MonteCarloDropoutPass.Batch(
                        samples: bases, labels: labels, validity: validity,
                        classCount: configuration.classCount, planeSize: plane,
                        ignoreIndex: configuration.ignoreIndex, kind: configuration.output)
                    results.withUnsafeMutableBufferPointer { out in
                        Parallel.forEach(images) { i in out[i] = MonteCarloDropoutPass.accumulate(image: i, of: batch) }
                    }
                }
            }
        }
        for i in 0..<images {
            var tally = TileTally(classCount: configuration.classCount, calibrationBins: configuration.calibrationBins)
            tally.mutualInformationSum = results[i].sum
            tally.mutualInformationPixels = results[i].pixels
            state.record(tally, tile: tileIDs[i])
        }
    }

    // MARK: Checks and plumbing

    /// Checks the batch shapes; returns (N, H * W).
    private func checkBatch(_ output: Tensor, labelCount: Int?, valid: PixelValidity) -> (Int, Int) {
        precondition(output.rank == 4 && output.shape[1] == configuration.classCount,
                     "EvaluationAccumulator: output shape \(output.shape) is not [N, \(configuration.classCount), H, W]")
        let images = output.shape[0], plane = output.shape[2] * output.shape[3]
        if let labelCount {
            precondition(labelCount == images * plane,
                         "EvaluationAccumulator: \(labelCount) labels for output \(output.shape) (need N*H*W = \(images * plane))")
        }
        valid.check(pixelCount: images * plane)
        return (images, plane)
    }

    private mutating func resolveTileIDs(_ ids: [String]?, images: Int) -> [String] {
        if let ids {
            precondition(ids.count == images, "EvaluationAccumulator: \(ids.count) tile ids for \(images) images")
            return ids
        }
        defer { automaticTileCount += images }
        return (0..<images).map { i in
            let n = String(automaticTileCount + i)
            return "image_" + String(repeating: "0", count: max(0, 6 - n.count)) + n
        }
    }

    /// Runs `body` with the base addresses of every tensor's elements.
    private static func withBasePointers<R>(_ tensors: ArraySlice<Tensor>, _ collected: [UnsafePointer<Float>] = [],
                                            _ body: (UnsafeBufferPointer<UnsafePointer<Float>>) -> R) -> R {
        guard let first = tensors.first else { return collected.withUnsafeBufferPointer(body) }
        return first.withUnsafeBufferPointer { withBasePointers(tensors.dropFirst(), collected + [$0.baseAddress!], body) }
    }

    private static func withOptionalBuffer<R>(_ values: [Int32]?, _ body: (UnsafeBufferPointer<Int32>?) -> R) -> R {
        guard let values else { return body(nil) }
        return values.withUnsafeBufferPointer { body($0) }
    }
}
