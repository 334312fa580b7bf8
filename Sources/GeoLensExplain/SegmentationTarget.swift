import Foundation
public import GeoLensTensor

/// Which output pixels a segmentation target sums a class's logits over.
public enum TargetRegion: Sendable, Equatable, CustomStringConvertible {
    /// Pixels whose predicted class is the class explained (pytorch-grad-cam's argmax mask).
    case predicted
    /// Pixels whose reference label is the class.
    case label
    /// Label and prediction are both the class.
    case truePositive
    /// Predicted as the class, labelled otherwise.
    case falsePositive
    /// Labelled as the class, predicted otherwise.
    case falseNegative
    /// One output pixel (column x, row y).
    case pixel(x: Int, y: Int)
    /// A window of output pixels.
    case window(x: Int, y: Int, width: Int, height: Int)

    /// Parses `predicted`, `label`, `tp`, `fp`, `fn`, `pixel:x,y` or `window:x,y,w,h`.
    public init(parsing text: String) throws(ExplainError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let numbers = parts.count == 2 ? parts[1].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } : []
        switch (parts.first ?? "", numbers.count) {
        case ("predicted", _) where parts.count == 1: self = .predicted
        case ("label", _) where parts.count == 1: self = .label
        case ("tp", _) where parts.count == 1: self = .truePositive
        case ("fp", _) where parts.count == 1: self = .falsePositive
        case ("fn", _) where parts.count == 1: self = .falseNegative
        case ("pixel", 2): self = .pixel(x: numbers[0], y: numbers[1])
        case ("window", 4) where numbers[2] > 0 && numbers[3] > 0:
            self = .window(x: numbers[0], y: numbers[1], width: numbers[2], height: numbers[3])
        default:
            throw ExplainError("target '\(text)' is not one of predicted, label, tp, fp, fn, pixel:x,y, window:x,y,w,h (w, h > 0)")
        }
    }

    /// Whether the region needs reference labels.
    public var needsLabels: Bool {
        switch self {
        case .label, .truePositive, .falsePositive, .falseNegative: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .predicted: return "predicted"
        case .label: return "label"
        case .truePositive: return "tp"
        case .falsePositive: return "fp"
        case .falseNegative: return "fn"
        case .pixel(let x, let y): return "pixel:\(x),\(y)"
        case .window(let x, let y, let w, let h): return "window:\(x),\(y),\(w),\(h)"
        }
    }
}

/// The scalar explained for one class: y = sum_{h,w} logit_c(h,w) * mask(h,w) (pre-softmax).
///
/// A tile classifier's `[N, K]` scores are the 1 x 1 case: `classifierOutput(classIndex:)` is
/// y = logit_c, pytorch-grad-cam's `ClassifierOutputTarget(c)`.
public struct SegmentationTarget: Sendable {
    public let classIndex: Int
    public let height: Int
    public let width: Int
    /// Row-major 0/1 mask over output pixels.
    public let mask: [Float]

    public init(classIndex: Int, height: Int, width: Int, mask: [Float]) {
        precondition(mask.count == height * width, "SegmentationTarget: mask of \(mask.count) values for a \(height)x\(width) output")
        self.classIndex = classIndex
        self.height = height
        self.width = width
        self.mask = mask
    }

    /// Number of pixels in the mask.
    public var pixelCount: Int { mask.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }

    /// The score of class `classIndex` of a classifier with `[N, K]` outputs (pre-softmax, or
    /// pre-sigmoid for multi-label): pytorch-grad-cam's `ClassifierOutputTarget`.
    public static func classifierOutput(classIndex: Int) -> SegmentationTarget {
        SegmentationTarget(classIndex: classIndex, height: 1, width: 1, mask: [1])
    }

    /// True when `shape` is a classifier's `[N, K]` output and this target its 1 x 1 case.
    private func isClassifierOutput(_ shape: [Int]) -> Bool { shape.count == 2 && height == 1 && width == 1 }

    /// Builds the mask of `region` for class `classIndex` from the predicted classes and, when
    /// the region needs them, the reference labels (row-major, `ignoreIndex` never counts).
    public static func make(region: TargetRegion, classIndex: Int, prediction: [Int], labels: [Int]?,
                            ignoreIndex: Int? = nil, height: Int, width: Int) throws(ExplainError) -> SegmentationTarget {
        precondition(prediction.count == height * width, "SegmentationTarget: \(prediction.count) predictions for \(height)x\(width)")
        if region.needsLabels {
            guard let labels else { throw ExplainError("target '\(region)' needs reference labels: pass --labels DIR") }
            guard labels.count == prediction.count else {
                throw ExplainError("labels have \(labels.count) pixels, the prediction \(prediction.count): label and image sizes must match")
            }
        }
        var mask = [Float](repeating: 0, count: height * width)
        func valid(_ i: Int) -> Bool { labels.map { $0[i] != ignoreIndex } ?? true }
        switch region {
        case .predicted:
            for i in mask.indices where prediction[i] == classIndex { mask[i] = 1 }
        case .label:
            for i in mask.indices where labels![i] == classIndex { mask[i] = 1 }
        case .truePositive:
            for i in mask.indices where labels![i] == classIndex && prediction[i] == classIndex { mask[i] = 1 }
        case .falsePositive:
            for i in mask.indices where prediction[i] == classIndex && labels![i] != classIndex && valid(i) { mask[i] = 1 }
        case .falseNegative:
            for i in mask.indices where labels![i] == classIndex && prediction[i] != classIndex { mask[i] = 1 }
        case .pixel(let x, let y):
            guard (0..<width).contains(x), (0..<height).contains(y) else {
                throw ExplainError("target pixel \(x),\(y) lies outside the \(width)x\(height) tile")
            }
            mask[y * width + x] = 1
        case .window(let x, let y, let w, let h):
            guard x >= 0, y >= 0, x + w <= width, y + h <= height else {
                throw ExplainError("target window \(x),\(y),\(w),\(h) does not fit in the \(width)x\(height) tile")
            }
            for row in y..<y + h { for col in x..<x + w { mask[row * width + col] = 1 } }
        }
        return SegmentationTarget(classIndex: classIndex, height: height, width: width, mask: mask)
    }

    /// y for every batch item of `logits` [N, C, H, W] (or [N, C] for a classifier target).
    public func values(of logits: Tensor) -> [Double] {
        precondition((isClassifierOutput(logits.shape) || logits.rank == 4 && logits.shape[2] == height && logits.shape[3] == width)
                     && classIndex < logits.shape[1],
                     "SegmentationTarget: logits of shape \(logits.shape) for class \(classIndex) on a \(height)x\(width) mask")
        let (n, c, plane) = (logits.shape[0], logits.shape[1], height * width)
        return logits.withUnsafeBufferPointer { p in
            mask.withUnsafeBufferPointer { m in
                (0..<n).map { item in
                    let base = (item * c + classIndex) * plane
                    var s = 0.0
                    for i in 0..<plane where m[i] != 0 { s += Double(p[base + i]) * Double(m[i]) }
                    return s
                }
            }
        }
    }

    /// The seed dy/dlogits for a batch of the given shape: the mask in the class's channel of every
    /// item ([N, C, H, W], or [N, C] for a classifier target).
    public func seed(shape: [Int]) -> Tensor {
        precondition(isClassifierOutput(shape) || shape.count == 4 && shape[2] * shape[3] == height * width,
                     "SegmentationTarget: seed of shape \(shape) for a \(height)x\(width) mask")
        let (n, c, plane) = (shape[0], shape[1], height * width)
        return Tensor(shape: shape) { out in
            out.initialize(repeating: 0)
            for item in 0..<n {
                let base = (item * c + classIndex) * plane
                for i in 0..<plane { out[base + i] = mask[i] }
            }
        }
    }
}

/// The predicted class of every pixel of item `item` of `logits` [N, C, H, W] (first maximum
/// wins); for a classifier's [N, C] scores, the one predicted class of the tile.
public func predictedClasses(_ logits: Tensor, item: Int = 0) -> [Int] {
    let (c, plane) = (logits.shape[1], logits.rank == 2 ? 1 : logits.shape[2] * logits.shape[3])
    return logits.withUnsafeBufferPointer { p in
        (0..<plane).map { i in
            var best = 0
            var bestValue = p[(item * c) * plane + i]
            for k in 1..<max(c, 1) where p[(item * c + k) * plane + i] > bestValue {
                best = k
                bestValue = p[(item * c + k) * plane + i]
            }
            return best
        }
    }
}
