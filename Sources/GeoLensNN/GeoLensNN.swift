/// GeoLensNN: the models GeoLens runs. Layers with PyTorch-style dotted parameter names,
/// built-in architectures and their registry, model cards, and checkpoint formats
/// (safetensors, PyTorch zip files read by an allow-list unpickler, ONNX graphs).
public enum GeoLensNN {
    /// The version written into model cards and checkpoints' metadata.
    public static let formatVersion = 1
}
