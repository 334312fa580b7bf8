public import GeoLensTensor

/// A training loss on `[N, C, H, W]` logits and N * H * W integer labels, returning a scalar
/// recorded on the tape.
public protocol SegmentationLoss: Sendable {
    func callAsFunction(_ logits: Tensor, labels: [Int32]) -> Tensor
}

/// The sum of two losses with weights, e.g. cross-entropy + Dice.
public struct CombinedLoss: SegmentationLoss {
    public let terms: [(weight: Float, loss: any SegmentationLoss)]

    public init(_ terms: [(weight: Float, loss: any SegmentationLoss)]) {
        precondition(!terms.isEmpty, "CombinedLoss: needs at least one term")
        self.terms = terms
    }

    public func callAsFunction(_ logits: Tensor, labels: [Int32]) -> Tensor {
        var total = terms[0].loss(logits, labels: labels) * terms[0].weight
        for term in terms.dropFirst() { total = total + term.loss(logits, labels: labels) * term.weight }
        return total
    }
}
