public import GeoLensTensor

/// A model that maps [N, inChannels, H, W] images to [N, classCount, H, W] class scores.
public protocol SegmentationModel: Module {
    var inChannels: Int { get }
    var classCount: Int { get }
    /// Module paths whose outputs are 4-D feature maps usable as GradCAM target layers.
    var camLayers: [String] { get }
    /// The deepest encoder feature map: the default GradCAM layer.
    var defaultCAMLayer: String { get }
}
