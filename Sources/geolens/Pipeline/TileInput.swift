import GeoLensGeo
import GeoLensNN
import GeoLensTensor

/// One tile read for a model: scaled band values, the validity of each pixel, labels and georeference.
struct TileInput {
    let pair: TilePair
    /// `[bands, H, W]`, after `input_scale`/`input_offset` (normalization happens in `ModelRunner`).
    let values: Tensor
    let validity: [Bool]
    /// Class ids per pixel (ignore index where the label is nodata), when the tile has a label.
    let labels: [Int32]?
    let georeference: Georeference

    var height: Int { values.shape[1] }
    var width: Int { values.shape[2] }

    /// Reads `pair` with the card's bands and scaling, checking band indices and label alignment.
    static func read(_ pair: TilePair, card: ModelCard, ignoreIndex: Int32, remapping: LabelRemapping?) throws -> TileInput {
        let raster = try Raster(path: pair.image)
        if let bands = card.bands, let bad = bands.first(where: { $0 > raster.bandCount }) {
            throw Failure.runtime("\(pair.image) has \(raster.bandCount) bands but the model card selects band \(bad)")
        }
        let block = try raster.read(bands: card.bands, scale: Float(card.inputScale), offset: Float(card.inputOffset))
        var labels: [Int32]?
        if let labelPath = pair.label {
            let labelRaster = try Raster(path: labelPath)
            try raster.checkAligned(with: labelRaster)
            labels = try LabelReader(raster: labelRaster, remapping: remapping, ignoreIndex: ignoreIndex).read()
        }
        return TileInput(pair: pair, values: block.values, validity: block.validity, labels: labels,
                         georeference: Georeference(of: raster))
    }
}
