public import GeoLensGeo

/// Where the samples of a run come from and how images find their labels: the settings eval,
/// predict, explain, train and the reports share, so that every command pairs and remaps alike.
public struct SampleSourceOptions: Hashable, Sendable {
    /// A directory of rasters, a glob (`tiles/*.tif`), a single raster, or a list file
    /// (`.txt`/`.lst`, one path per line, relative to the list file).
    public var images: String
    /// A directory of label rasters, paired with the images by key (stem minus suffix).
    public var labels: String?
    /// Suffix removed from image stems before pairing (e.g. `_img`).
    public var imageSuffix: String
    /// Suffix removed from label stems before pairing (e.g. `_mask`).
    public var labelSuffix: String
    /// Label value remapping applied while reading labels (e.g. `10 -> 0, 20 -> 1`).
    public var labelRemap: [Int: Int]?
    /// Overrides the model card's ignore index.
    public var ignoreIndex: Int?
    /// Keeps images without a label (their `TilePair.label` is nil) instead of failing the listing;
    /// runs with `on_error: skip` record them as failed tiles.
    public var keepUnlabelled: Bool = false

    public init(images: String, labels: String? = nil, imageSuffix: String = "", labelSuffix: String = "",
                labelRemap: [Int: Int]? = nil, ignoreIndex: Int? = nil) {
        self.images = images
        self.labels = labels
        self.imageSuffix = imageSuffix
        self.labelSuffix = labelSuffix
        self.labelRemap = labelRemap
        self.ignoreIndex = ignoreIndex
    }

    /// The pairing rule of these options.
    public var pairing: PairingRule { PairingRule(imageSuffix: imageSuffix, labelSuffix: labelSuffix) }

    /// The same options with `images` and `labels` made absolute against the current directory.
    public var absolute: SampleSourceOptions {
        var copy = self
        copy.images = FileSystem.absolute(images)
        copy.labels = labels.map(FileSystem.absolute)
        return copy
    }

    /// `label_remap` as config files write it (`{"10": 0}`), with an error naming the bad key.
    public static func labelRemap(fromConfig table: [String: Int]?) throws(PipelineError) -> [Int: Int]? {
        guard let table else { return nil }
        var remap: [Int: Int] = [:]
        for (key, value) in table {
            guard let from = Int(key) else {
                throw .usage("key 'label_remap' maps '\(key)', which is not an integer label value")
            }
            remap[from] = value
        }
        return remap
    }
}
