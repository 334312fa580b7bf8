public import GeoLensGeo
public import GeoLensTensor

/// One named model input of a sample, on the sample's pixel grid.
public struct SampleInput: Sendable {
    /// The input's name (`image` for the tile itself).
    public let name: String
    /// `[channels, H, W]`: raster values times `input_scale` plus `input_offset`. The card's
    /// mean/std normalization is applied when the model runs (`ModelSession`).
    public let values: Tensor

    public init(name: String, values: Tensor) {
        self.name = name
        self.values = values
    }
}

/// What a sample is labelled with.
public enum SampleLabel: Sendable, Equatable {
    /// A class id per pixel (row-major H x W); nodata, out-of-class and remapped-away values
    /// carry the ignore index.
    case mask([Int32])
    /// One class for the whole tile.
    case tileClass(Int)
    /// A set of classes present in the tile.
    case tileClasses(Set<Int>)

    /// The per-pixel labels, when the label is a mask.
    public var mask: [Int32]? {
        if case .mask(let ids) = self { return ids }
        return nil
    }
}

/// One sample of a run: its named inputs on one pixel grid, which pixels are valid, its label
/// when the run has labels, and the georeference outputs copy.
public struct Sample: Sendable {
    /// The tile's identity: its path relative to the source root (used for shards, journals, reports).
    public let id: String
    /// The pairing key, which names outputs (`<stem>_pred.tif`).
    public let stem: String
    /// The image raster and, when labelled, the label raster.
    public let files: TilePair
    /// The model inputs, in the model's order; today one, named `image`.
    public let inputs: [SampleInput]
    /// Per pixel, false where any fed band is nodata or not finite.
    public let validity: [Bool]
    public let label: SampleLabel?
    public let georeference: Georeference
    public let height: Int
    public let width: Int

    public init(files: TilePair, inputs: [SampleInput], validity: [Bool], label: SampleLabel?,
                georeference: Georeference) {
        precondition(!inputs.isEmpty, "Sample: at least one input")
        let shape = inputs[0].values.shape
        precondition(shape.count == 3 && validity.count == shape[1] * shape[2],
                     "Sample: input \(shape) and \(validity.count) validity flags disagree")
        self.id = files.relativePath
        self.stem = files.stem
        self.files = files
        self.inputs = inputs
        self.validity = validity
        self.label = label
        self.georeference = georeference
        self.height = shape[1]
        self.width = shape[2]
    }

    /// The input named `image` (the tile itself), or the first input.
    public var image: Tensor { (inputs.first { $0.name == "image" } ?? inputs[0]).values }

    /// What the model is fed: the inputs stacked along channels in the card's order
    /// (`ModelInputLayout`); the one input of a single-input card.
    public var stacked: Tensor {
        inputs.count == 1 ? inputs[0].values : Tensor.concatenate(inputs.map(\.values), alongAxis: 0)
    }
}
