import Foundation
import GeoLensTensor

/// A loss defined pixel by pixel on the softmax of the logits at that pixel.
///
/// Implementations see one pixel's log-probabilities and probabilities (length C) and its label,
/// and write the gradient of their unnormalized loss with respect to that pixel's logits.
/// `PixelLossKernel` runs them in one fused pass over an `[N, C, H, W]` batch.
protocol PixelLoss: Sendable {
    /// Returns the pixel's loss and its weight in the normalizing denominator, and writes
    /// d(loss)/d(logit_c) into `gradient`.
    func evaluate(logProbabilities: UnsafeBufferPointer<Float>, probabilities: UnsafeBufferPointer<Float>,
                  label: Int, gradient: UnsafeMutableBufferPointer<Float>) -> (loss: Float, weight: Float)
}

/// Runs a `PixelLoss` over a batch in one pass: log-softmax per pixel, loss and gradient, and a
/// tape record whose pullback scales the stored gradient (no recomputation, no per-op tape).
enum PixelLossKernel {
    /// Mean loss over labelled pixels (weighted by the loss's per-pixel weight), recorded on the tape.
    ///
    /// - Parameters:
    ///   - logits: `[N, C, H, W]`.
    ///   - labels: N * H * W class ids; pixels equal to `ignoreIndex` contribute nothing.
    static func mean<L: PixelLoss>(_ loss: L, logits: Tensor, labels: [Int32], ignoreIndex: Int?, op: String) -> Tensor {
        precondition(logits.rank == 4, "\(op): logits must be [N, C, H, W], got \(logits.shape)")
        let (images, classes) = (logits.shape[0], logits.shape[1])
        let plane = logits.shape[2] * logits.shape[3]
        precondition(labels.count == images * plane,
                     "\(op): \(labels.count) labels for logits of shape \(logits.shape) (need \(images * plane))")
        var sums = [(loss: Double, weight: Double)](repeating: (0, 0), count: images)
        let gradient = Tensor(shape: logits.shape) { grad in
            logits.withUnsafeBufferPointer { z in
                labels.withUnsafeBufferPointer { labels in
                    sums.withUnsafeMutableBufferPointer { sums in
                        Parallel.forEach(images) { n in
                            sums[n] = image(n, loss: loss, z: z, labels: labels, grad: grad,
                                            classes: classes, plane: plane, ignoreIndex: ignoreIndex, op: op)
                        }
                    }
                }
            }
        }
        let total = sums.reduce(0) { $0 + $1.loss }
        let weight = sums.reduce(0) { $0 + $1.weight }
        let scale = weight > 0 ? Float(1 / weight) : 0
        let value = Tensor(Float(total) * scale)
        let stored = gradient
        return Tape.record(value, op: op, logits) { g in
            let factor = g.scalar * scale
            return Tensor(shape: stored.shape) { out in
                stored.withUnsafeBufferPointer { src in
                    for i in 0..<src.count { out[i] = src[i] * factor }
                }
            }
        }
    }

    /// One image: loss and weight sums, gradient written for its pixels (zero where ignored).
    private static func image<L: PixelLoss>(_ n: Int, loss: L, z: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>,
                                            grad: UnsafeMutableBufferPointer<Float>, classes: Int, plane: Int,
                                            ignoreIndex: Int?, op: String) -> (loss: Double, weight: Double) {
        let logP = UnsafeMutableBufferPointer<Float>.allocate(capacity: classes * 3)
        defer { logP.deallocate() }
        let p = UnsafeMutableBufferPointer(rebasing: logP[classes..<(2 * classes)])
        let g = UnsafeMutableBufferPointer(rebasing: logP[(2 * classes)...])
        let base = n * classes * plane
        var lossSum = 0.0, weightSum = 0.0
        for pixel in 0..<plane {
            let label = Int(labels[n * plane + pixel])
            if let ignoreIndex, label == ignoreIndex {
                for c in 0..<classes { grad[base + c * plane + pixel] = 0 }
                continue
            }
            precondition(label >= 0 && label < classes,
                         "\(op): label \(label) at image \(n), pixel \(pixel) is outside 0..<\(classes) and is not the ignore index")
            var maxLogit = -Float.infinity
            for c in 0..<classes { maxLogit = Swift.max(maxLogit, z[base + c * plane + pixel]) }
            var sum: Float = 0
            for c in 0..<classes {
                let e = exp(z[base + c * plane + pixel] - maxLogit)
                p[c] = e
                sum += e
            }
            let logSum = log(sum)
            for c in 0..<classes {
                logP[c] = z[base + c * plane + pixel] - maxLogit - logSum
                p[c] /= sum
            }
            let result = loss.evaluate(logProbabilities: UnsafeBufferPointer(rebasing: logP[0..<classes]),
                                       probabilities: UnsafeBufferPointer(p), label: label, gradient: g)
            for c in 0..<classes { grad[base + c * plane + pixel] = g[c] }
            lossSum += Double(result.loss)
            weightSum += Double(result.weight)
        }
        return (lossSum, weightSum)
    }
}
