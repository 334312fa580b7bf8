public import GeoLensGeo
public import GeoLensNN
import GeoLensTensor

/// The samples of a run: lists the images (directory, glob, single raster or list file), pairs
/// them with labels under the suffix rule, and reads each one for a model card (its bands,
/// `input_scale`/`input_offset`, nodata validity, label remapping and ignore index, label
/// alignment). Every command and the trainer read tiles through this one type.
///
/// Labels come in the layout of `SampleSourceOptions.labelLayout`: label rasters (a mask per
/// tile, for segmentation cards), a CSV label table or class folders (a class or a set of
/// classes per tile, for `classification` and `multilabel` cards; see `TileLabelTable`).
///
/// ```swift
/// let source = try SampleSource(SampleSourceOptions(images: "tiles/images", labels: "tiles/labels"))
/// for file in source.files(in: .all) {
///     let sample = try source.read(file, card: session.card)
/// }
/// ```
public struct SampleSource: Sendable {
    public let options: SampleSourceOptions
    public let dataset: TileDataset
    /// The label table of a `.csv` `labels` option.
    let table: TileLabelTable?
    /// The named sources a multi-input card reads (`options.sources`).
    public let inputSources: InputSources

    /// Lists and pairs the samples; a missing label (raster, or table row unless
    /// `allowUnlabelled`), a key shared by two files or an empty listing is an error naming the
    /// files. With `task`, the label layout is first checked to fit it (`checkLayout(task:)`).
    public init(_ options: SampleSourceOptions, task: ModelTask? = nil) throws(PipelineError) {
        if let task { try options.checkLayout(task: task) }
        self.options = options
        inputSources = try InputSources(options.sources)
        switch options.labelLayout {
        case .none, .rasters:
            dataset = try PipelineError.wrapping {
                try TileDataset(images: options.images, labels: options.labels, rule: options.pairing,
                                keepUnlabelled: options.keepUnlabelled)
            }
            table = nil
        case .classFolders:
            if let labels = options.labels {
                throw .usage("class folders take each tile's class from its folder; drop the labels option (\(labels))")
            }
            dataset = try PipelineError.wrapping { try TileDataset(classFolders: options.images, rule: options.pairing) }
            table = nil
        case .table(let path):
            dataset = try PipelineError.wrapping { try TileDataset(images: options.images, labels: nil, rule: options.pairing) }
            let table = try TileLabelTable(path: path)
            try table.checkUnique(dataset.pairs)
            if !options.allowUnlabelled, let missing = dataset.pairs.first(where: { table.row(for: $0) == nil }) {
                let unlabelled = dataset.pairs.filter { table.row(for: $0) == nil }.count
                throw .data("\(path) has no row for tile \(missing.image) (looked up as '\(missing.relativePath)', "
                            + "'\(missing.stem)'); \(unlabelled) of \(dataset.pairs.count) tiles are unlabelled: add rows "
                            + "or pass --allow-unlabelled (config allow_unlabelled: true)")
            }
            self.table = table
        }
    }

    /// Every sample's files, sorted by id.
    public var files: [TilePair] { dataset.pairs }

    /// The files of `shard`, in dataset order; an empty shard is an error saying how many tiles there are.
    public func files(in shard: Shard) throws(PipelineError) -> [TilePair] {
        let selected = dataset.pairs(in: shard)
        guard !selected.isEmpty else {
            throw .usage("shard \(shard) of \(options.images) holds no tiles (\(dataset.pairs.count) tiles in all); use fewer shards")
        }
        return selected
    }

    /// The ignore index of reads for `card`: the options' override, else the card's, else 255.
    public func ignoreIndex(card: ModelCard) -> Int32 { Int32(options.ignoreIndex ?? card.ignoreIndex ?? 255) }

    /// Reads one sample as `card` feeds the model: its bands, scaled; the validity of each pixel;
    /// and, when labelled, the label mask (checked to align with the image, remapped, nodata
    /// pixels of the label set to the ignore index), or for tile tasks the tile's class
    /// (`.tileClass`) or classes (`.tileClasses`).
    public func read(_ file: TilePair, card: ModelCard) throws(PipelineError) -> Sample {
        try checkLayout(card: card)
        try inputSources.check(card: card)
        if case .rasters = options.labelLayout, let labels = options.labels, file.label == nil {
            throw .data("image \(file.image) has no label in \(labels) (expected \(file.stem)\(options.labelSuffix).tif); check the suffix rules")
        }
        let ignore = ignoreIndex(card: card)
        let remapping = options.labelRemap.map { LabelRemapping($0) }
        return try PipelineError.wrapping(context: file.image) {
            let raster = try Raster(path: file.image)
            let inputs: [SampleInput], validity: [Bool]
            if card.inputs != nil {
                (inputs, validity) = try inputSources.read(card: card, file: file, tile: raster)
            } else {
                let bands = try BandSelection.bands(for: card, raster: raster)
                let block = try raster.read(bands: bands, scale: Float(card.inputScale), offset: Float(card.inputOffset))
                (inputs, validity) = ([SampleInput(name: "image", values: block.values)], block.validity)
            }
            var label: SampleLabel?
            if let labelPath = file.label {
                let labelRaster = try Raster(path: labelPath)
                try raster.checkAligned(with: labelRaster)
                label = .mask(try LabelReader(raster: labelRaster, remapping: remapping, ignoreIndex: ignore).read())
            } else if card.task.scoresTiles {
                label = try tileLabel(file, card: card)
            }
            return Sample(files: file, inputs: inputs, validity: validity, label: label, georeference: Georeference(of: raster))
        }
    }

    /// The sample whose image file is `path` (or whose id or stem is `path`), for callers that
    /// name one tile.
    public func file(named path: String) -> TilePair? {
        let absolute = FileSystem.absolute(path)
        return dataset.pairs.first { FileSystem.absolute($0.image) == absolute || $0.relativePath == path || $0.stem == path }
    }
}

extension Shard {
    /// The shard a run works on: `explicit` (`I/N`) when given, else the scheduler's variables
    /// (`SLURM_ARRAY_TASK_ID`/`SLURM_ARRAY_TASK_COUNT`, `JOB_COMPLETION_INDEX`/`GEOLENS_SHARD_COUNT`),
    /// else the whole set. Eval, predict and explain resolve their shard this same way.
    public static func resolve(_ explicit: String?,
                               environment: [String: String]) throws(PipelineError) -> Shard {
        do {
            if let explicit { return try Shard(parsing: explicit) }
            return try Shard.fromEnvironment(environment) ?? .all
        } catch let error as GeoError {
            throw .usage(error.message)
        } catch {
            throw .usage("\(error)")
        }
    }
}
