public import GeoLensNN
public import GeoLensTensor

/// Puts a layer's activation (or its gradient) on a channels-first grid `[1, C, h, w]` for the
/// CAM formulas, as pytorch-grad-cam's `reshape_transform` does for ViT and Swin.
///
/// Token tensors `[1, N, C]` lose their leading class and register tokens, and the remaining
/// patch tokens are laid out row by row on the grid of the input; channels-last maps
/// `[1, h, w, C]` are transposed. The grid is the finest `rows x columns` of the input (each side
/// divided by a common stride, rounded down or up as convolution strides round) that leaves at most
/// `maximumPrefixTokens` tokens over: for a ViT-S/16 on 224 x 224 that is 14 x 14 with 1 class token.
public enum CAMFeatureGrid {
    /// The most class and register tokens a token tensor may lead with.
    public static let maximumPrefixTokens = 16

    /// The grid of `tokens` patch tokens (plus a prefix) for an input of `height x width`.
    public static func grid(tokens: Int, height: Int, width: Int) -> (prefix: Int, rows: Int, columns: Int)? {
        var best: (prefix: Int, rows: Int, columns: Int)?
        for stride in 1...max(1, max(height, width)) {
            let rowChoices = Set([height / stride, (height + stride - 1) / stride])
            let columnChoices = Set([width / stride, (width + stride - 1) / stride])
            for rows in rowChoices where rows > 0 {
                for columns in columnChoices where columns > 0 {
                    let prefix = tokens - rows * columns
                    guard prefix >= 0, prefix <= maximumPrefixTokens else { continue }
                    if best == nil || rows * columns > best!.rows * best!.columns { best = (prefix, rows, columns) }
                }
            }
        }
        return best
    }

    /// `tensor` (the layer's activation or gradient, batch 1) as `[1, C, h, w]`.
    public static func channelsFirst(_ tensor: Tensor, layout: FeatureLayout, layer: String,
                                     height: Int, width: Int) throws(ExplainError) -> Tensor {
        switch (layout, tensor.rank) {
        case (.channelsFirst, 4):
            return tensor
        case (.channelsLast, 4):
            return tensor.detached().permuted([0, 3, 1, 2])
        case (_, 3):
            let (n, c) = (tensor.shape[1], tensor.shape[2])
            guard let grid = grid(tokens: n, height: height, width: width) else {
                throw ExplainError("layer '\(layer)' holds \(n) tokens, which do not fill a grid of the \(height) x \(width) input "
                    + "after at most \(maximumPrefixTokens) class or register tokens; choose another layer")
            }
            return tensor.detached().slice(alongAxis: 1, start: grid.prefix, end: n)
                .reshaped([1, grid.rows, grid.columns, c]).permuted([0, 3, 1, 2])
        default:
            throw ExplainError("layer '\(layer)' has shape \(tensor.shape); CAM methods need a feature map "
                + "[1, C, h, w], a channels-last map [1, h, w, C] or tokens [1, N, C]")
        }
    }
}
