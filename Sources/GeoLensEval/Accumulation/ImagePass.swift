import Foundation

/// The one pass over the pixels of one image that feeds every accumulator at once.
///
/// Per pixel it decides whether the pixel is scored (valid mask, label in 0..<C and not the
/// ignore index, every class score finite), finds the top class, and for logits computes the
/// softmax on the fly in `Double` (max-shifted exponentials; nothing allocated per pixel) to get
/// the top-label confidence and the entropy ln S - sum_c e_c d_c / S, with d_c = z_c - max and
/// S = sum_c e^(d_c). All state is local to the call, so images run in parallel.
enum ImagePass {
    /// The raw inputs of one batch, borrowed for the duration of the pass.
    struct Batch {
        /// The `[N, C, H, W]` model output.
        let output: UnsafeBufferPointer<Float>
        /// N * H * W labels, image-major.
        let labels: UnsafeBufferPointer<Int32>
        let validity: ValidityView
        let classCount: Int
        let planeSize: Int
        let ignoreIndex: Int?
        let kind: ModelOutputKind
        /// Calibration bin edges (B + 1 values).
        let edges: UnsafeBufferPointer<Double>
    }

    /// Whether the label of batch pixel `index` is a class to score (the mask is checked too).
    @inline(__always)
    static func scoredLabel(_ batch: Batch, _ index: Int) -> Int? {
        let label = Int(batch.labels[index])
        guard label >= 0, label < batch.classCount, label != batch.ignoreIndex,
              batch.validity.isValid(index) else { return nil }
        return label
    }

    /// Tallies image `image` of `batch`.
    static func tally(image: Int, of batch: Batch) -> TileTally {
        let classes = batch.classCount
        let plane = batch.planeSize
        let slots = batch.edges.count
        var confusion = [Int64](repeating: 0, count: classes * classes)
        var binCounts = [Int64](repeating: 0, count: slots)
        var binSums = [Double](repeating: 0, count: slots)
        var binCorrect = [Int64](repeating: 0, count: slots)
        var ignored: Int64 = 0
        var entropySum = 0.0

        confusion.withUnsafeMutableBufferPointer { matrix in
            binCounts.withUnsafeMutableBufferPointer { counts in
                binSums.withUnsafeMutableBufferPointer { sums in
                    binCorrect.withUnsafeMutableBufferPointer { correct in
                        let scores = batch.output.baseAddress! + image * classes * plane
                        for p in 0..<plane {
                            guard let label = scoredLabel(batch, image * plane + p) else {
                                ignored += 1
                                continue
                            }
                            // Top class (first maximum, as torch.argmax) and finiteness.
                            var best = scores[p]
                            var top = 0
                            var finite = best.isFinite
                            for c in 1..<classes {
                                let v = scores[c * plane + p]
                                finite = finite && v.isFinite
                                if v > best { best = v; top = c }
                            }
                            guard finite else {
                                ignored += 1
                                continue
                            }
                            let confidence: Double
                            var entropy = 0.0
                            switch batch.kind {
                            case .logits:
                                let shift = Double(best)
                                var total = 0.0
                                var weighted = 0.0
                                for c in 0..<classes where c != top {
                                    let d = Double(scores[c * plane + p]) - shift
                                    let e = exp(d)
                                    total += e
                                    weighted += e * d
                                }
                                // The top class has d = 0 and e = 1 exactly; adding it last keeps
                                // the sum order fixed and saves one exponential per pixel.
                                total += 1
                                confidence = 1 / total
                                entropy = Swift.max(0, log(total) - weighted / total)
                            case .probabilities:
                                confidence = Double(best)
                                for c in 0..<classes {
                                    let q = Double(scores[c * plane + p])
                                    if q > 0 { entropy -= q * log(q) }
                                }
                            }
                            matrix[label * classes + top] += 1
                            let slot = CalibrationBins.slot(of: confidence, edges: batch.edges)
                            counts[slot] += 1
                            sums[slot] += confidence
                            if top == label { correct[slot] += 1 }
                            entropySum += entropy
                        }
                    }
                }
            }
        }

        var tally = TileTally(classCount: classes, calibrationBins: slots - 1)
        tally.confusion = ConfusionMatrix(classCount: classes, counts: confusion)
        tally.ignoredPixels = ignored
        tally.entropySum = entropySum
        binCounts.withUnsafeBufferPointer { counts in
            binSums.withUnsafeBufferPointer { sums in
                binCorrect.withUnsafeBufferPointer { correct in
                    tally.calibration.add(counts: counts, confidenceSums: sums, correct: correct)
                }
            }
        }
        return tally
    }
}
