import Foundation
import GeoLensGeo
import GeoLensNN
import GeoLensReport

/// Reads a tile's rasters through GeoLensGeo and renders the report thumbnails: image
/// composite, reference, prediction, error and entropy. A missing raster just leaves its
/// thumbnail out; an unreadable one is reported once as a note, never as a failed report.
struct TileThumbnails {
    let classCount: Int
    let palette: ClassPalette
    /// 1-based bands drawn as R, G, B.
    let compositeBands: [Int]?

    /// The run's label remapping, so reference thumbnails show the classes that were scored.
    let remapping: LabelRemapping?
    /// For a two-date (change detection) card: the bands drawn for date 1 and for date 2, shown
    /// side by side in place of the one composite.
    var dateCompositeBands: [[Int]]?

    /// The composite bands of each date of a card whose inputs are two acquisitions of the tile
    /// (two `images` inputs with the same number of bands): the bands at positions 3, 2, 1 of
    /// each input (its first band when it has fewer than 3).
    static func dateComposites(of card: ModelCard) -> [[Int]]? {
        guard let inputs = card.inputs else { return nil }
        let dates = inputs.filter { $0.source == ModelInput.imagesSource && !$0.isScalar }
        guard dates.count == 2, dates[0].channels == dates[1].channels, let first = dates[0].bands, let second = dates[1].bands else {
            return nil
        }
        let positions = first.count >= 3 ? [2, 1, 0] : [0]
        return [positions.map { first[$0] }, positions.map { second[$0] }]
    }

    init(classCount: Int, compositeBands: [Int]?, remapping: LabelRemapping? = nil) {
        self.classCount = classCount
        self.palette = ClassPalette(classCount: classCount)
        self.compositeBands = compositeBands
        self.remapping = remapping
    }

    /// Class ids of a label raster as the run scored them (remapped; nodata becomes -1).
    func referenceIDs(_ url: URL) throws -> (ids: [Int], width: Int, height: Int) {
        let raster = try Raster(path: url.path)
        let ids = try LabelReader(raster: raster, remapping: remapping, ignoreIndex: -1).read()
        return (ids.map(Int.init), raster.width, raster.height)
    }

    /// The composite of an image raster (bands 3, 2, 1 by default, or band 1 for fewer than 3).
    func composite(_ url: URL, bands chosen: [Int]? = nil) throws -> PNGImage {
        let raster = try Raster(path: url.path)
        let bands = chosen ?? compositeBands ?? (raster.bandCount >= 3 ? [3, 2, 1] : [1])
        let block = try raster.read(bands: bands.filter { $0 <= raster.bandCount })
        return Composite.make(block.values, channels: Array(0..<block.values.shape[0]), valid: block.validity)
    }

    /// Class ids of a one-band class raster; invalid pixels become -1.
    func classIDs(_ url: URL) throws -> (ids: [Int], width: Int, height: Int) {
        let raster = try Raster(path: url.path)
        let block = try raster.read(bands: [1])
        let ids = block.values.withUnsafeBufferPointer { values in
            (0..<values.count).map { i in block.validity[i] ? Int(values[i]) : -1 }
        }
        return (ids, raster.width, raster.height)
    }

    /// Values of a one-band Float raster (entropy), NaN where invalid.
    func values(_ url: URL) throws -> (values: [Float], width: Int, height: Int) {
        let raster = try Raster(path: url.path)
        let block = try raster.read(bands: [1])
        let values = block.values.withUnsafeBufferPointer { v in (0..<v.count).map { block.validity[$0] ? v[$0] : .nan } }
        return (values, raster.width, raster.height)
    }

    /// Every thumbnail available for one tile, in report column order.
    func thumbnails(image: URL?, label: URL?, prediction: URL?, entropy: URL?) -> [RunReport.Thumbnail] {
        var out: [RunReport.Thumbnail] = []
        func add(_ name: String, _ make: () throws -> PNGImage) {
            guard let image = try? make(), let data = try? PNGWriter.encode(image) else { return }
            out.append(RunReport.Thumbnail(label: name, png: [UInt8](data)))
        }
        var compositeImage: PNGImage?
        if let image, FileManager.default.fileExists(atPath: image.path) {
            if let dates = dateCompositeBands {
                compositeImage = try? composite(image, bands: dates[1])
                add("date 1") { try composite(image, bands: dates[0]) }
                add("date 2") { try compositeImage ?? composite(image, bands: dates[1]) }
            } else {
                compositeImage = try? composite(image)
                add("composite") { try compositeImage ?? composite(image) }
            }
        }
        let reference = label.flatMap { FileManager.default.fileExists(atPath: $0.path) ? try? referenceIDs($0) : nil }
        let predicted = prediction.flatMap { FileManager.default.fileExists(atPath: $0.path) ? try? classIDs($0) : nil }
        if let reference { add("reference") { palette.render(classIDs: reference.ids, width: reference.width, height: reference.height) } }
        if let predicted { add("prediction") { palette.render(classIDs: predicted.ids, width: predicted.width, height: predicted.height) } }
        if let reference, let predicted, reference.ids.count == predicted.ids.count {
            add("error") {
                ClassPalette.errorMap(reference: reference.ids, prediction: predicted.ids, classCount: classCount,
                                      width: reference.width, height: reference.height)
            }
        }
        if let entropy, FileManager.default.fileExists(atPath: entropy.path), let map = try? values(entropy) {
            let over = compositeImage.flatMap { $0.width == map.width && $0.height == map.height ? $0 : nil }
            let range = Heatmap.Range(low: 0, high: Float(log(Double(max(classCount, 2)))))
            add("entropy") { Heatmap.render(map: map.values, width: map.width, height: map.height, over: over,
                                            colormap: .magma, alpha: 0.75, range: range) }
        }
        return out
    }
}
