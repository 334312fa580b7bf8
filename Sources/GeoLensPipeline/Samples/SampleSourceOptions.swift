public import GeoLensGeo
public import GeoLensNN

/// Where the samples of a run come from and how images find their labels: the settings eval,
/// predict, explain, train and the reports share, so that every command pairs and remaps alike.
public struct SampleSourceOptions: Hashable, Sendable {
    /// A directory of rasters, a glob (`tiles/*.tif`), a single raster, or a list file
    /// (`.txt`/`.lst`, one path per line, relative to the list file).
    public var images: String
    /// A directory of label rasters, paired with the images by key (stem minus suffix); or, for
    /// tile tasks, a `.csv` label table (`tile,label` or `tile,labels`, see `labelLayout`).
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
    /// Tile tasks: the class of each tile is the name of its folder (`images/<class>/*.tif`).
    public var classFolders: Bool
    /// Tile tasks: tiles without a row in the label table are read unlabelled instead of failing.
    public var allowUnlabelled: Bool
    /// Named input sources (`--source NAME=PATH`, config `sources:`) that a multi-input card's
    /// `inputs` read: raster directories, single rasters, CSV tables (`InputSource`).
    public var sources: [String: String] = [:]

    public init(images: String, labels: String? = nil, imageSuffix: String = "", labelSuffix: String = "",
                labelRemap: [Int: Int]? = nil, ignoreIndex: Int? = nil, classFolders: Bool = false,
                allowUnlabelled: Bool = false) {
        self.images = images
        self.labels = labels
        self.imageSuffix = imageSuffix
        self.labelSuffix = labelSuffix
        self.labelRemap = labelRemap
        self.ignoreIndex = ignoreIndex
        self.classFolders = classFolders
        self.allowUnlabelled = allowUnlabelled
    }

    /// Where labels come from.
    public enum LabelLayout: Hashable, Sendable {
        /// No labels (prediction, explanation of unlabelled tiles).
        case none
        /// Label rasters in a directory, paired by stem (segmentation).
        case rasters(String)
        /// A CSV label table keyed by tile (classification, multilabel).
        case table(String)
        /// One folder per class under the images (classification).
        case classFolders
    }

    /// The layout these options describe: class folders when `classFolders` is set, a table when
    /// `labels` ends in `.csv`, label rasters for any other `labels`, else none.
    public var labelLayout: LabelLayout {
        if classFolders { return .classFolders }
        guard let labels else { return .none }
        return labels.lowercased().hasSuffix(".csv") ? .table(labels) : .rasters(labels)
    }

    /// The pairing rule of these options.
    public var pairing: PairingRule { PairingRule(imageSuffix: imageSuffix, labelSuffix: labelSuffix) }

    /// The same options with `images` and `labels` made absolute against the current directory.
    public var absolute: SampleSourceOptions {
        var copy = self
        copy.images = FileSystem.absolute(images)
        copy.labels = labels.map(FileSystem.absolute)
        copy.sources = sources.mapValues(FileSystem.absolute)
        return copy
    }

    /// Checks that the label layout fits `task`: label rasters for segmentation; a label table or
    /// class folders for classification; a label table for multilabel. No labels fit any task.
    public func checkLayout(task: ModelTask) throws(PipelineError) {
        switch labelLayout {
        case .none:
            return
        case .rasters(let directory):
            guard task.scoresTiles else { return }
            throw .usage("the model card's task is '\(task.rawValue)', which takes one label per tile: give a label table "
                         + "(--labels labels.csv with tile,\(task == .multilabel ? "labels" : "label")) or class folders, "
                         + "not the label raster directory \(directory)")
        case .table, .classFolders:
            if !task.scoresTiles {
                let what = labels.map { "the label table \($0) labels" } ?? "class folders label"
                throw .usage("\(what) whole tiles, but the model card's task is 'segmentation'; give a label raster "
                             + "directory, or set \"task\": \"classification\" or \"multilabel\" in the card")
            }
            if task == .multilabel && classFolders {
                throw .usage("class folders give each tile one class; a multilabel model needs a label table "
                             + "(--labels labels.csv with tile,labels)")
            }
        }
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
