/// How an intermediate tensor lays out its features, so explainers can put it on a spatial grid.
public enum FeatureLayout: String, Sendable, Equatable {
    /// `[N, C, h, w]`: convolutional feature maps.
    case channelsFirst = "NCHW"
    /// `[N, h, w, C]`: channels-last token maps (timm Swin stages).
    case channelsLast = "NHWC"
    /// `[N, tokens, C]`: a token sequence whose last tokens are the patches of the grid in row-major
    /// order, after any class or register tokens (ViT, SegFormer and Swin block internals).
    case tokens
}

extension SegmentationModel {
    /// Built-in architectures name layers by module path, and every one is channels-first.
    public func featureLayout(ofLayer layer: String) -> FeatureLayout { .channelsFirst }

    /// Built-in architectures take module paths as they are.
    public func resolvedLayer(_ layer: String) -> String { layer }
}
