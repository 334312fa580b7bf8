import Foundation

/// Mutual information from MC dropout (METRICS.md `mutual_information`): for each pixel,
/// H(mean_t p_t) - mean_t H(p_t) over the T stochastic passes of one batch, clamped at 0
/// (it is non-negative in exact arithmetic), natural log. Only the per-image sum and pixel
/// count are kept.
enum MonteCarloDropoutPass {
    /// The T `[N, C, H, W]` outputs of one batch plus the pixel selection, borrowed for the pass.
    struct Batch {
        /// Base addresses of the T sample outputs (a raw buffer, so the pixel loop does no reference counting).
        let samples: UnsafeBufferPointer<UnsafePointer<Float>>
        /// N * H * W labels when the pixels should match the scored pixels; nil to use every valid pixel.
        let labels: UnsafeBufferPointer<Int32>?
        let validity: ValidityView
        let classCount: Int
        let planeSize: Int
        let ignoreIndex: Int?
        let kind: ModelOutputKind
    }

    /// The sum of per-pixel mutual information over image `image` and the number of pixels used.
    static func accumulate(image: Int, of batch: Batch) -> (sum: Double, pixels: Int64) {
        let classes = batch.classCount
        let plane = batch.planeSize
        let passes = Double(batch.samples.count)
        var mean = [Double](repeating: 0, count: classes)
        var exponentials = [Double](repeating: 0, count: classes)
        var sum = 0.0
        var used: Int64 = 0
        mean.withUnsafeMutableBufferPointer { mean in
            exponentials.withUnsafeMutableBufferPointer { exponentials in
                pixels: for p in 0..<plane {
                    let index = image * plane + p
                    guard batch.validity.isValid(index) else { continue }
                    if let labels = batch.labels {
                        let label = Int(labels[index])
                        guard label >= 0, label < classes, label != batch.ignoreIndex else { continue }
                    }
                    for c in 0..<classes { mean[c] = 0 }
                    var meanOfEntropies = 0.0
                    for sample in batch.samples {
                        let scores = sample + image * classes * plane + p
                        var best = scores[0]
                        for c in 0..<classes {
                            let v = scores[c * plane]
                            guard v.isFinite else { continue pixels }
                            if v > best { best = v }
                        }
                        switch batch.kind {
                        case .logits:
                            let shift = Double(best)
                            var total = 0.0
                            var weighted = 0.0
                            for c in 0..<classes {
                                let d = Double(scores[c * plane]) - shift
                                let e = exp(d)
                                exponentials[c] = e
                                total += e
                                weighted += e * d
                            }
                            for c in 0..<classes { mean[c] += exponentials[c] / total }
                            meanOfEntropies += Swift.max(0, log(total) - weighted / total)
                        case .probabilities:
                            for c in 0..<classes {
                                let q = Double(scores[c * plane])
                                mean[c] += q
                                if q > 0 { meanOfEntropies -= q * log(q) }
                            }
                        }
                    }
                    meanOfEntropies /= passes
                    var entropyOfMean = 0.0
                    for c in 0..<classes {
                        let m = mean[c] / passes
                        if m > 0 { entropyOfMean -= m * log(m) }
                    }
                    sum += Swift.max(0, entropyOfMean - meanOfEntropies)
                    used += 1
                }
            }
        }
        return (sum, used)
    }
}
