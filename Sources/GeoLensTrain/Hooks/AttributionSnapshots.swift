public import Foundation
import GeoLensExplain
public import GeoLensGeo
public import GeoLensNN
import GeoLensPipeline
public import GeoLensTensor

/// GradCAM++ maps of a few fixed validation tiles every N epochs, to watch what the model looks
/// at while it learns.
///
/// After every `every`-th epoch (1-based), after the configured last epoch and after an epoch that
/// ends training early, it explains each tile for each class with the current weights exactly as
/// `geolens explain --method gradcam++` does (`CAMExplainer` in evaluation mode: batch norm uses
/// its running statistics, no dropout; target: the class's summed logits over the pixels
/// predicted as it) and writes, under `<run>/snapshots/`:
///
/// - `epoch-NNN/<tile>_class-<name>.png`: the labelled heatmap over the composite, as `geolens explain`
///   draws it, with the epoch in its subtitle;
/// - `epoch-NNN/<tile>_class-<name>.tif`: the raw Float32 map, a GeoTIFF with the tile's
///   georeference (a plain TIFF in pixel coordinates when the tile has none);
/// - `snapshots.json` (`SnapshotIndex`) and `index.html` (`SnapshotGallery`), rewritten atomically.
///
/// The epoch's history row records the folder (`snapshots` column). Taking a snapshot reads the
/// weights and nothing else: no optimizer, batch-norm or random state changes, so a run with the
/// hook ends with bit-identical weights to one without it. On resume the index drops snapshots
/// of epochs after the checkpoint (they are taken again when those epochs are re-run).
public final class AttributionSnapshots: TrainingHook {
    /// A tile explained in every snapshot.
    public struct Tile {
        public let id: String
        /// `[C, H, W]` scaled, not yet normalized (as `TrainingTile.image`).
        public let image: Tensor
        public let georeference: Georeference
    }

    public let tiles: [Tile]
    public let classes: [Int]
    public let classNames: [String]
    public let every: Int
    public let layer: String
    /// 0-based input channels under the heatmaps.
    public let compositeChannels: [Int]
    /// Epochs (1-based) whose snapshot is written, in this process.
    public private(set) var takenEpochs: [Int] = []
    private var index: SnapshotIndex

    /// The name of the folder in the run directory.
    public static let folder = "snapshots"

    /// - Parameters:
    ///   - tiles: the training tiles to explain (their `source` file gives the georeference).
    ///   - classes: 0-based classes to explain, each a row of the gallery.
    ///   - classNames: names of all the model's classes.
    ///   - layer: the CAM layer (nil: the model's default CAM layer).
    public init(tiles: [TrainingTile], classes: [Int], classNames: [String], every: Int, layer: String?,
                compositeChannels: [Int], model: any SegmentationModel) throws {
        precondition(every >= 1, "AttributionSnapshots: every must be at least 1, got \(every)")
        let layer = layer ?? model.defaultCAMLayer
        guard model.camLayers.contains(layer) else {
            throw TrainingError.configuration("hooks.attribution_snapshots.layer '\(layer)' is not a CAM layer of the model; "
                                              + "CAM layers include: \(model.camLayers.prefix(12).joined(separator: ", "))")
        }
        for c in classes where !classNames.indices.contains(c) {
            throw TrainingError.configuration("hooks.attribution_snapshots: class \(c) is not below the model's \(classNames.count) classes")
        }
        self.tiles = try tiles.map { tile in
            var georeference = Georeference.none
            if let source = tile.source, FileManager.default.fileExists(atPath: source) {
                georeference = Georeference(of: try Raster(path: source))
            }
            return Tile(id: tile.id, image: tile.image, georeference: georeference)
        }
        self.classes = classes
        self.classNames = classNames
        self.every = every
        self.layer = layer
        self.compositeChannels = compositeChannels
        index = SnapshotIndex(method: CAMMethod.gradcamPlusPlus.rawValue, target: TargetRegion.predicted.description,
                              every: every, tiles: tiles.map(\.id), classes: classes.map { classNames[$0] }, snapshots: [])
    }

    /// The hook a training config asks for: the first `tiles` validation tiles in id order.
    convenience init(configuration: AttributionSnapshotConfiguration, validationTiles: [TrainingTile],
                     model: any SegmentationModel, classNames: [String]) throws {
        guard !validationTiles.isEmpty else {
            throw TrainingError.configuration("hooks.attribution_snapshots explains validation tiles, but the validation split is empty; "
                                              + "set data.validation_fraction or data.validation_tiles")
        }
        let chosen = validationTiles.sorted { $0.id < $1.id }.prefix(configuration.tiles)
        try self.init(tiles: Array(chosen), classes: try configuration.classIndices(names: classNames), classNames: classNames,
                      every: configuration.every, layer: configuration.layer,
                      compositeChannels: try configuration.compositeChannels(channels: model.inChannels), model: model)
    }

    /// `<run>/snapshots`.
    public static func directory(of run: TrainingRun) -> URL { run.directory.appendingPathComponent(folder) }

    public func onTrainStart(_ run: TrainingRun) throws {
        let root = Self.directory(of: run)
        let completed = run.history.count
        if var previous = try SnapshotIndex.read(root.appendingPathComponent("snapshots.json")) {
            previous.snapshots.removeAll { $0.epoch > completed }
            index.snapshots = previous.snapshots
        }
        // Folders of epochs after the checkpoint belong to a run that was cut short: they are redone.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for name in names where name.hasPrefix("epoch-") && (Int(name.dropFirst(6)) ?? 0) > completed {
            try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
        }
        run.note("attribution snapshots: GradCAM++ of \(tiles.count) validation tile(s) x \(classes.count) class(es) on \(layer), "
                 + "every \(every) epoch(s), into \(root.path)")
    }

    public func onValidationEnd(_ record: inout EpochRecord, run: TrainingRun) throws {
        let epoch = record.epoch + 1
        guard epoch % every == 0 || epoch == run.configuration.epochs else { return }
        record.snapshots = try take(epoch: epoch, run: run, history: run.history + [record])
    }

    /// An epoch that ends training early (early stopping) gets a snapshot too.
    public func onEpochEnd(_ record: EpochRecord, run: TrainingRun) throws {
        let epoch = record.epoch + 1
        guard run.stopRequested, !takenEpochs.contains(epoch), let last = run.history.indices.last else { return }
        run.history[last].snapshots = try take(epoch: epoch, run: run, history: run.history)
    }

    /// Explains every tile and class with the current weights, writes the files and the index;
    /// returns the epoch folder relative to the run directory.
    @discardableResult
    public func take(epoch: Int, run: TrainingRun, history: [EpochRecord]) throws -> String {
        let root = Self.directory(of: run)
        let folder = "epoch-" + String(format: "%03d", epoch)
        var entries: [SnapshotEntry] = []
        for tile in tiles {
            let maps = try self.maps(of: tile, model: run.model, card: run.card)
            let (height, width) = (tile.image.shape[1], tile.image.shape[2])
            for (result, pixels) in zip(maps.results, maps.targetPixels) {
                let stem = "\(Self.fileStem(tile.id))_class-\(Self.fileStem(classNames[result.classIndex]))"
                let files = SnapshotEntry.Files(heatmap: "\(folder)/\(stem).png", map: "\(folder)/\(stem).tif")
                let mapPath = root.appendingPathComponent(files.map).path
                try GeoTIFFWriter.writeFloat32(Tensor(shape: [1, height, width], scalars: result.map), to: mapPath,
                                               georeference: tile.georeference,
                                               options: RasterOutputFormat.cloudOptimized.continuous)
                try RasterStyles.attribution(besides: mapPath, values: result.map, signed: false,
                                             quantity: "GradCAM++ (normalized)")
                let caption = SnapshotFigure.caption(tile: tile.id, className: classNames[result.classIndex], layer: result.layer,
                                                     epoch: epoch)
                try SnapshotFigure.write(map: result.map, height: height, width: width, composite: maps.composite, caption: caption,
                                         metresPerPixel: tile.georeference.metresPerPixel,
                                         to: root.appendingPathComponent(files.heatmap))
                entries.append(SnapshotEntry(epoch: epoch, tile: tile.id, className: classNames[result.classIndex],
                                             classIndex: result.classIndex, layer: result.layer, targetPixels: pixels,
                                             files: files, minimum: result.map.min() ?? 0, maximum: result.map.max() ?? 0))
            }
        }
        index.replace(epoch: epoch, with: entries)
        try index.write(to: root.appendingPathComponent("snapshots.json"))
        try SnapshotGallery.write(index, history: history, layer: layer, to: root.appendingPathComponent("index.html"))
        if !takenEpochs.contains(epoch) { takenEpochs.append(epoch) }
        return "\(Self.folder)/\(folder)"
    }

    /// The GradCAM++ results of `tile` for the hook's classes (in order), the pixel count of each
    /// target mask, and the composite planes, computed as `geolens explain` computes them.
    func maps(of tile: Tile, model: any SegmentationModel, card: ModelCard) throws
        -> (results: [CAMResult], targetPixels: [Int], composite: [[Float]]) {
        let (channels, height, width) = (tile.image.shape[0], tile.image.shape[1], tile.image.shape[2])
        var input = tile.image.reshaped([1, channels, height, width])
        InputNormalization(card: card, channels: channels).apply(to: &input)
        let prediction = predictedClasses(model(input))
        do {
            let targets = try classes.map {
                try SegmentationTarget.make(region: .predicted, classIndex: $0, prediction: prediction, labels: nil,
                                            height: height, width: width)
            }
            let results = try CAMExplainer(model: model, method: .gradcamPlusPlus, layer: layer).explain(input, targets: targets)
            let plane = height * width
            let values = input.scalars
            let composite = compositeChannels.map { Array(values[($0 * plane)..<(($0 + 1) * plane)]) }
            return (results, targets.map(\.pixelCount), composite)
        } catch {
            throw TrainingError.data("attribution snapshot of tile \(tile.id): \(error)")
        }
    }

    /// `text` with path separators and other characters unsafe in file names replaced by `_`,
    /// and a tile's `.tif`/`.tiff` extension dropped.
    static func fileStem(_ text: String) -> String {
        var stem = text
        for ext in [".tif", ".tiff", ".TIF", ".TIFF"] where stem.hasSuffix(ext) { stem = String(stem.dropLast(ext.count)) }
        return String(stem.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
