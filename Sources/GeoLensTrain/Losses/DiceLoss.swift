public import GeoLensTensor

/// Soft multi-class Dice loss: `1 - mean_c (2 I_c + s) / (S_c + s)` with, over labelled pixels of
/// the batch, `I_c = sum p_c t_c` and `S_c = sum (p_c + t_c)` (p the softmax, t the one-hot label).
///
/// Computed in two passes over the batch (class sums, then the gradient), recorded as one tape op.
public struct DiceLoss: SegmentationLoss {
    public var smoothing: Float
    public var ignoreIndex: Int?

    public init(smoothing: Float = 1, ignoreIndex: Int? = nil) {
        self.smoothing = smoothing
        self.ignoreIndex = ignoreIndex
    }

    public func callAsFunction(_ logits: Tensor, labels: [Int32]) -> Tensor {
        precondition(logits.rank == 4, "DiceLoss: logits must be [N, C, H, W], got \(logits.shape)")
        let (images, classes) = (logits.shape[0], logits.shape[1])
        let plane = logits.shape[2] * logits.shape[3]
        precondition(labels.count == images * plane, "DiceLoss: \(labels.count) labels for logits of shape \(logits.shape)")
        let p = GradientMode.withoutRecording { logits.detached().softmax(alongAxis: 1) }
        let ignore = ignoreIndex.map(Int32.init) ?? Int32.min
        var intersection = [Double](repeating: 0, count: classes)
        var cardinality = [Double](repeating: 0, count: classes)
        p.withUnsafeBufferPointer { p in
            for n in 0..<images {
                for pixel in 0..<plane {
                    let label = labels[n * plane + pixel]
                    guard label != ignore else { continue }
                    precondition(label >= 0 && Int(label) < classes, "DiceLoss: label \(label) is outside 0..<\(classes)")
                    for c in 0..<classes {
                        let value = Double(p[(n * classes + c) * plane + pixel])
                        cardinality[c] += value
                        if Int(label) == c { intersection[c] += value; cardinality[c] += 1 }
                    }
                }
            }
        }
        let s = Double(smoothing)
        var dice = 0.0
        for c in 0..<classes { dice += (2 * intersection[c] + s) / (cardinality[c] + s) }
        let value = Tensor(Float(1 - dice / Double(classes)))
        // d loss / d p_c at a labelled pixel: -(1/C) (2 t_c (S_c + s) - (2 I_c + s)) / (S_c + s)^2.
        let onTarget = (0..<classes).map { c in Float(-2 * (cardinality[c] + s) / (Double(classes) * (cardinality[c] + s) * (cardinality[c] + s))) }
        let offTarget = (0..<classes).map { c in Float((2 * intersection[c] + s) / (Double(classes) * (cardinality[c] + s) * (cardinality[c] + s))) }
        let gradient = Tensor(shape: logits.shape) { out in
            p.withUnsafeBufferPointer { p in
                for n in 0..<images {
                    for pixel in 0..<plane {
                        let label = labels[n * plane + pixel]
                        var dot: Float = 0
                        for c in 0..<classes {
                            let gp = label == ignore ? 0 : offTarget[c] + (Int(label) == c ? onTarget[c] : 0)
                            out[(n * classes + c) * plane + pixel] = gp
                            dot += gp * p[(n * classes + c) * plane + pixel]
                        }
                        for c in 0..<classes {
                            let i = (n * classes + c) * plane + pixel
                            out[i] = p[i] * (out[i] - dot)
                        }
                    }
                }
            }
        }
        return Tape.record(value, op: "dice_loss", logits) { g in gradient * g.scalar }
    }
}
