import GeoLensTensor

/// A model that maps [N, inChannels, H, W] images to class scores: [N, classCount, H, W] for
/// segmentation networks, or [N, classCount] for classifiers (`outputLayout`). Every built-in
/// architecture segments; ONNX graphs may do either.
public protocol SegmentationModel: Module {
    var inChannels: Int { get }
    var classCount: Int { get }
    /// Module paths whose outputs are 4-D feature maps usable as GradCAM target layers.
    var camLayers: [String] { get }
    /// The deepest encoder feature map: the default GradCAM layer.
    var defaultCAMLayer: String { get }
    /// Checkpoint key prefixes the architecture never uses and loading skips silently
    /// (smp keeps encoder stages beyond `encoder_depth` in its state_dict).
    var ignoredCheckpointKeyPrefixes: [String] { get }
    /// Whether the scores come per pixel or per image.
    var outputLayout: ModelOutputLayout { get }
    /// Input height and width the model is fixed to (an ONNX graph exported without dynamic
    /// spatial axes); nil where any size runs.
    var fixedInputSize: (height: Int?, width: Int?) { get }
    /// How the output of `layer` (a name `resolvedLayer` returns) lays out its features.
    func featureLayout(ofLayer layer: String) -> FeatureLayout
    /// The capture key for a layer named by the user: ONNX graphs also accept the PyTorch module
    /// path their node names record (`encoder.blocks.2.norm1`) in place of the tensor name.
    func resolvedLayer(_ layer: String) -> String
}

extension SegmentationModel {
    public var ignoredCheckpointKeyPrefixes: [String] { [] }
    public var outputLayout: ModelOutputLayout { .pixelScores }
    public var fixedInputSize: (height: Int?, width: Int?) { (nil, nil) }
}
