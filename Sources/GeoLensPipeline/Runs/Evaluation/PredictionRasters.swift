import Foundation
import GeoLensGeo
import GeoLensReport
import GeoLensTensor

/// Per-tile prediction GeoTIFFs of an evaluation: `<stem>_pred.tif` (class ids, UInt8, the class
/// palette as colour table, 255 = no data), `<stem>_entropy.tif` and optionally `<stem>_prob.tif`
/// (Float32), georeferenced like the tile; Cloud-Optimized unless `format` says plain, with the QGIS
/// styles `<stem>_pred.qml` and `<stem>_entropy.qml` beside them.
struct PredictionRasters {
    let classNames: [String]
    let probabilities: Bool
    let format: RasterOutputFormat

    func write(probabilities p: Tensor, samples: [Sample], to directory: URL) throws(PipelineError) {
        let classes = p.shape[1]
        let colorTable = ClassPalette(classCount: classes).colorTable
        for (n, sample) in samples.enumerated() {
            let (height, width) = (sample.height, sample.width)
            let plane = height * width
            let tile = p.slice(alongAxis: 0, start: n, end: n + 1)
            let summary = PixelSummary(probabilities: tile, validity: sample.validity)
            let base = directory.appendingPathComponent(sample.stem).path
            try PipelineError.wrapping(context: base) {
                try GeoTIFFWriter.writeClassIds(summary.classIds, width: width, height: height, to: base + "_pred.tif",
                                                georeference: sample.georeference, colorTable: colorTable,
                                                options: format.classes)
                try RasterStyles.classes(besides: base + "_pred.tif", classNames: classNames)
                try GeoTIFFWriter.writeFloat32(Tensor(shape: [1, height, width], scalars: summary.entropy),
                                               to: base + "_entropy.tif", georeference: sample.georeference,
                                               bandDescriptions: ["entropy"], nodata: .nan, options: format.continuous)
                try RasterStyles.entropy(besides: base + "_entropy.tif", classCount: classes)
                if probabilities {
                    var masked = tile.reshaped([classes, height, width])
                    masked.withUnsafeMutableBufferPointer { values in
                        for c in 0..<classes { for i in 0..<plane where !sample.validity[i] { values[c * plane + i] = .nan } }
                    }
                    try GeoTIFFWriter.writeFloat32(masked, to: base + "_prob.tif", georeference: sample.georeference,
                                                   bandDescriptions: classNames, nodata: .nan, options: format.continuous)
                }
            }
        }
    }
}
