public import GeoLensTensor
import Foundation

/// Mean softmax entropy `mean over pixels of -sum_c p_c log p_c` of `[N, C, H, W]` logits, as one
/// tape op with pullback `dH/dz_c = -p_c (log p_c + H)` per pixel, divided by the pixel count.
public enum SoftmaxEntropy {
    public static func mean(of logits: Tensor) -> Tensor {
        precondition(logits.rank == 4, "SoftmaxEntropy: logits must be [N, C, H, W], got \(logits.shape)")
        let (images, classes) = (logits.shape[0], logits.shape[1])
        let plane = logits.shape[2] * logits.shape[3]
        let pixels = images * plane
        let (p, logP) = GradientMode.withoutRecording {
            (logits.detached().softmax(alongAxis: 1), logits.detached().logSoftmax(alongAxis: 1))
        }
        var entropy = [Float](repeating: 0, count: pixels)
        p.withUnsafeBufferPointer { p in
            logP.withUnsafeBufferPointer { logP in
                for n in 0..<images {
                    for c in 0..<classes {
                        let base = (n * classes + c) * plane
                        for pixel in 0..<plane { entropy[n * plane + pixel] -= p[base + pixel] * logP[base + pixel] }
                    }
                }
            }
        }
        let total = entropy.reduce(0.0) { $0 + Double($1) }
        let perPixel = entropy
        let value = Tensor(Float(total / Double(Swift.max(pixels, 1))))
        let scale = 1 / Float(Swift.max(pixels, 1))
        return Tape.record(value, op: "softmax_entropy", logits) { g in
            let factor = g.scalar * scale
            return Tensor(shape: p.shape) { out in
                p.withUnsafeBufferPointer { p in
                    logP.withUnsafeBufferPointer { logP in
                        for n in 0..<images {
                            for c in 0..<classes {
                                let base = (n * classes + c) * plane
                                for pixel in 0..<plane {
                                    out[base + pixel] = -factor * p[base + pixel] * (logP[base + pixel] + perPixel[n * plane + pixel])
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
