public import GeoLensTensor
public import GeoLensNN
import GeoLensGeo

/// One labelled tile held in memory: scaled (not yet normalized) bands and class labels.
public struct TrainingTile: Sendable {
    /// Tile id (the image's relative path).
    public let id: String
    /// `[C, H, W]`: raster values times `input_scale` plus `input_offset`.
    public var image: Tensor
    /// H * W class ids; nodata pixels of the image carry the ignore index.
    public var labels: [Int32]
    /// Classes with at least one labelled pixel.
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
        self.source = source
    }

    public var height: Int { image.shape[1] }
    public var width: Int { image.shape[2] }
}

/// Reads every image/label pair of a tile folder the way evaluation does: the card's bands,
/// `input_scale` and `input_offset`, nodata pixels excluded through the ignore index.
public enum TrainingTileLoader {
    public static func load(images: String, labels: String, card: ModelCard, classCount: Int) throws -> [TrainingTile] {
        let dataset = try TileDataset(images: images, labels: labels)
        let ignore = Int32(card.ignoreIndex ?? 255)
        var tiles: [TrainingTile] = []
        for pair in dataset.pairs {
            guard let labelPath = pair.label else {
                throw TrainingError.data("image \(pair.image) has no label in \(labels); training needs a label for every tile")
            }
            let raster = try Raster(path: pair.image)
            let block = try raster.read(bands: card.bands, scale: Float(card.inputScale), offset: Float(card.inputOffset))
            var ids = try LabelReader(path: labelPath, ignoreIndex: ignore).read()
            guard ids.count == block.validity.count else {
                throw TrainingError.data("label \(labelPath) has \(ids.count) pixels but image \(pair.image) has \(block.validity.count)")
            }
            for i in ids.indices where !block.validity[i] { ids[i] = ignore }
            for i in ids.indices where ids[i] != ignore && (ids[i] < 0 || Int(ids[i]) >= classCount) {
                throw TrainingError.data("label \(labelPath) holds class \(ids[i]) outside 0..<\(classCount) (ignore index \(ignore))")
            }
            tiles.append(TrainingTile(id: pair.relativePath, image: block.values, labels: ids, classCount: classCount,
                                      source: pair.image))
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
