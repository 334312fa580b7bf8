import GeoLensTensor

/// A model that maps [N, inChannels, H, W] images to [N, classCount, H, W] class scores.
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
    /// How the output of `layer` (a name `resolvedLayer` returns) lays out its features.
    func featureLayout(ofLayer layer: String) -> FeatureLayout
    /// The capture key for a layer named by the user: ONNX graphs also accept the PyTorch module
    /// path their node names record (`encoder.blocks.2.norm1`) in place of the tensor name.
    func resolvedLayer(_ layer: String) -> String
}

extension SegmentationModel {
    public var ignoredCheckpointKeyPrefixes: [String] { [] }
}
