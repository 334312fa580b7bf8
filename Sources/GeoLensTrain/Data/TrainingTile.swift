public import GeoLensTensor
public import GeoLensNN
public import GeoLensEval
import GeoLensGeo
import GeoLensPipeline

/// One labelled tile held in memory: scaled (not yet normalized) bands and class labels.
public struct TrainingTile: Sendable {
    /// Tile id (the image's relative path).
    public let id: String
    /// `[C, H, W]`: raster values times `input_scale` plus `input_offset`.
    public var image: Tensor
    /// H * W class ids; nodata pixels of the image carry the ignore index. For a tile task, 0 at
    /// valid pixels and the ignore index at nodata pixels (what normalization statistics count).
    public var labels: [Int32]
    /// The label of a tile task: one class id (classification) or K values of 0/1 (multi-label);
    /// nil for segmentation tiles.
    public let tileTarget: [Int32]?
    /// Classes with at least one labelled pixel (tile tasks: the tile's class or classes).
    public let classesPresent: Set<Int>
    /// The image file the tile was read from (nil for tiles made in memory); outputs about the
    /// tile (attribution snapshots) copy its georeference.
    public let source: String?

    public init(id: String, image: Tensor, labels: [Int32], classCount: Int, source: String? = nil) {
        precondition(image.rank == 3 && labels.count == image.shape[1] * image.shape[2],
                     "TrainingTile: image \(image.shape) and \(labels.count) labels disagree")
        self.id = id
        self.image = image
        self.labels = labels
        self.classesPresent = Set(labels.lazy.filter { $0 >= 0 && Int($0) < classCount }.map(Int.init))
        self.tileTarget = nil
        self.source = source
    }

    /// A tile of a classification (`target` = one class) or multi-label (`target` = a set) task;
    /// `validity` marks the pixels with data (nil: all).
    public init(id: String, image: Tensor, target: TileTarget, task: ModelTask, classCount: Int,
                validity: [Bool]? = nil, ignoreIndex: Int32 = 255, source: String? = nil) {
        precondition(image.rank == 3, "TrainingTile: image \(image.shape) is not [C, H, W]")
        self.id = id
        self.image = image
        let plane = image.shape[1] * image.shape[2]
        self.labels = validity.map { $0.map { $0 ? 0 : ignoreIndex } } ?? [Int32](repeating: 0, count: plane)
        let classes = Set(target.indices)
        self.classesPresent = classes
        self.tileTarget = task == .multilabel ? (0..<classCount).map { classes.contains($0) ? 1 : 0 } : [Int32(target.indices[0])]
        self.source = source
    }

    public var height: Int { image.shape[1] }
    public var width: Int { image.shape[2] }
}

/// Reads every image/label pair of a tile folder through the pipeline's `SampleSource`, exactly
/// as evaluation reads them: the card's bands, `input_scale` and `input_offset`, the pairing
/// suffixes and label remapping, nodata pixels excluded through the ignore index.
public enum TrainingTileLoader {
    public static func load(images: String, labels: String, card: ModelCard, classCount: Int,
                            imageSuffix: String = "", labelSuffix: String = "",
                            labelRemap: [String: Int]? = nil, classFolders: Bool = false,
                            sources: [String: String] = [:]) throws -> [TrainingTile] {
        let remap: [Int: Int]?
        do { remap = try SampleSourceOptions.labelRemap(fromConfig: labelRemap) } catch {
            throw TrainingError.configuration("data: \(error.message)")
        }
        var options = SampleSourceOptions(images: images, labels: classFolders ? nil : labels, imageSuffix: imageSuffix,
                                          labelSuffix: labelSuffix, labelRemap: remap)
        options.classFolders = classFolders
        options.sources = sources
        let source: SampleSource
        do {
            source = try SampleSource(options, task: card.task)
        } catch {
            // A label table or class folders for a segmentation card: the config is wrong, not the data.
            throw error.kind == .usage ? TrainingError.configuration("data: \(error.message)") : TrainingError.data(error.message)
        }
        let ignore = source.ignoreIndex(card: card)
        var tiles: [TrainingTile] = []
        for file in source.files {
            let sample: Sample
            do { sample = try source.read(file, card: card) } catch { throw TrainingError.data(error.message) }
            if card.task.scoresTiles {
                let target: TileTarget
                switch sample.label {
                case .tileClass(let c)?: target = .single(c)
                case .tileClasses(let set)?: target = .multiple(set)
                default: throw TrainingError.data("image \(file.image) has no label in \(classFolders ? images : labels); training needs a label for every tile")
                }
                if let bad = target.indices.first(where: { $0 < 0 || $0 >= classCount }) {
                    throw TrainingError.data("image \(file.image) is labelled with class \(bad) outside 0..<\(classCount)")
                }
                tiles.append(TrainingTile(id: sample.id, image: sample.image, target: target, task: card.task,
                                          classCount: classCount, validity: sample.validity, ignoreIndex: ignore, source: file.image))
                continue
            }
            guard var ids = sample.label?.mask, let labelPath = file.label else {
                throw TrainingError.data("image \(file.image) has no label in \(labels); training needs a label for every tile")
            }
            for i in ids.indices where !sample.validity[i] { ids[i] = ignore }
            for i in ids.indices where ids[i] != ignore && (ids[i] < 0 || Int(ids[i]) >= classCount) {
                throw TrainingError.data("label \(labelPath) holds class \(ids[i]) outside 0..<\(classCount) (ignore index \(ignore))")
            }
            tiles.append(TrainingTile(id: sample.id, image: sample.stacked, labels: ids, classCount: classCount,
                                      source: file.image))
        }
        guard !tiles.isEmpty else { throw TrainingError.data("no image/label pairs found in \(images) and \(labels)") }
        return tiles
    }

    /// Per-band mean and standard deviation over the labelled pixels of `tiles` (the training split),
    /// for the model card's `mean`/`std`.
    public static func normalizationStatistics(_ tiles: [TrainingTile], ignoreIndex: Int32) -> (mean: [Double], std: [Double]) {
        guard let first = tiles.first else { return ([], []) }
        let bands = first.image.shape[0]
        var sum = [Double](repeating: 0, count: bands), squares = sum
        var count = 0.0
        for tile in tiles {
            let plane = tile.height * tile.width
            tile.image.withUnsafeBufferPointer { x in
                for pixel in 0..<plane where tile.labels[pixel] != ignoreIndex {
                    for b in 0..<bands {
                        let v = Double(x[b * plane + pixel])
                        sum[b] += v
                        squares[b] += v * v
                    }
                    count += 1
                }
            }
        }
        let mean = sum.map { $0 / Swift.max(count, 1) }
        let std = (0..<bands).map { b in Swift.max((squares[b] / Swift.max(count, 1) - mean[b] * mean[b]).squareRoot(), 1e-6) }
        return (mean, std)
    }
}
